// Versioned migrations, applied at open in order, each in a transaction, recorded in
// schema_migrations. A database newer than this code refuses to open rather than guess.
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'videos',
    sqlite: `
      CREATE TABLE videos (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        visibility TEXT NOT NULL CHECK (visibility IN ('public','unlisted','private')),
        status TEXT NOT NULL,
        error TEXT,
        duration REAL,
        renditions TEXT NOT NULL DEFAULT '[]',
        version INTEGER NOT NULL DEFAULT 1,
        search_text TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX videos_order ON videos (created_at DESC, id DESC);
      CREATE INDEX videos_owner ON videos (owner, created_at DESC, id DESC);
      CREATE INDEX videos_status ON videos (status, created_at DESC, id DESC);
      CREATE VIRTUAL TABLE videos_fts USING fts5 (search_text, content='videos', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
      CREATE TRIGGER videos_fts_insert AFTER INSERT ON videos BEGIN
        INSERT INTO videos_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
      END;
      CREATE TRIGGER videos_fts_delete AFTER DELETE ON videos BEGIN
        INSERT INTO videos_fts (videos_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
      END;
      CREATE TRIGGER videos_fts_update AFTER UPDATE OF search_text ON videos BEGIN
        INSERT INTO videos_fts (videos_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
        INSERT INTO videos_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
      END;`,
    postgres: `
      CREATE TABLE videos (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        tags TEXT[] NOT NULL DEFAULT '{}',
        visibility TEXT NOT NULL CHECK (visibility IN ('public','unlisted','private')),
        status TEXT NOT NULL,
        error TEXT,
        duration DOUBLE PRECISION,
        renditions JSONB NOT NULL DEFAULT '[]',
        version INTEGER NOT NULL DEFAULT 1,
        search_text TEXT NOT NULL DEFAULT '',
        search_vector TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
        created_at TIMESTAMPTZ(3) NOT NULL,
        updated_at TIMESTAMPTZ(3) NOT NULL
      );
      CREATE INDEX videos_order ON videos (created_at DESC, id DESC);
      CREATE INDEX videos_owner ON videos (owner, created_at DESC, id DESC);
      CREATE INDEX videos_status ON videos (status, created_at DESC, id DESC);
      CREATE INDEX videos_search ON videos USING GIN (search_vector);
      CREATE INDEX videos_tags ON videos USING GIN (tags);`,
  },
  {
    version: 2,
    name: 'webhooks',
    sqlite: `
      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        events TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
      );
      CREATE INDEX webhooks_owner ON webhooks (owner);
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
      CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, created_at DESC);`,
    postgres: `
      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        events JSONB NOT NULL DEFAULT '[]',
        created_at TIMESTAMPTZ(3) NOT NULL
      );
      CREATE INDEX webhooks_owner ON webhooks (owner);
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event JSONB NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at TIMESTAMPTZ(3),
        created_at TIMESTAMPTZ(3) NOT NULL
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
      CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, created_at DESC);`,
  },
];

export const latestVersion = migrations.at(-1)?.version ?? 0;
