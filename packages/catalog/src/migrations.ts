// Versioned migrations, applied at open in order, all pending ones in one transaction, recorded
// in schema_migrations. A database newer than this code refuses to open rather than guess.
// Released migrations never change: a fix is a new version.
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
  {
    // Search tokens (see search-query.ts): search_text held plain words, on which FTS5 and
    // PostgreSQL tokenize differently; from here it holds index tokens (letters a-p) so both
    // engines match the same. Ids sort bytewise on PostgreSQL too (COLLATE "C"), as in SQLite,
    // so listings and cursors order identically whatever the database's locale. Renditions
    // and delivery events are stored as json, not jsonb, so they read back exactly as written
    // (jsonb reorders keys).
    version: 3,
    name: 'search tokens',
    // vought_index_tokens is registered on the connection by sqlite-catalog.ts; the update
    // trigger rewrites the FTS5 rows.
    sqlite: `UPDATE videos SET search_text = vought_index_tokens(search_text) WHERE search_text <> '';`,
    postgres: `
      UPDATE videos SET search_text = COALESCE((
        SELECT string_agg(translate(encode(convert_to(w, 'UTF8'), 'hex'), '0123456789abcdef', 'abcdefghijklmnop'), ' ' ORDER BY n)
        FROM regexp_split_to_table(search_text, ' ') WITH ORDINALITY AS t (w, n) WHERE w <> ''), '');
      ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_webhook_id_fkey;
      ALTER TABLE videos ALTER COLUMN id TYPE TEXT COLLATE "C";
      ALTER TABLE webhooks ALTER COLUMN id TYPE TEXT COLLATE "C";
      ALTER TABLE webhook_deliveries ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN webhook_id TYPE TEXT COLLATE "C";
      ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_webhook_id_fkey
        FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE;
      ALTER TABLE videos ALTER COLUMN renditions DROP DEFAULT;
      ALTER TABLE videos ALTER COLUMN renditions TYPE JSON USING renditions::json;
      ALTER TABLE videos ALTER COLUMN renditions SET DEFAULT '[]';
      ALTER TABLE webhook_deliveries ALTER COLUMN event TYPE JSON USING event::json;`,
  },
  {
    // The per-video encryption policy (catalog-types.ts EncryptionPolicy), or NULL for none.
    // json, not jsonb, like renditions: it reads back exactly as written. Existing rows get NULL.
    version: 4,
    name: 'encryption policy',
    sqlite: `ALTER TABLE videos ADD COLUMN encryption TEXT;`,
    postgres: `ALTER TABLE videos ADD COLUMN encryption JSON;`,
  },
];

export const latestVersion = migrations.at(-1)?.version ?? 0;
