// better-sqlite3 behind the async SqlDriver. better-sqlite3 is synchronous and fast (a point
// query is microseconds), so a statement runs directly inside a resolved promise rather than
// paying for a worker thread; prepared statements are cached by their text (a small fixed set).
//
// One connection serves every caller, so a transaction is the connection's: while one is open,
// every other statement and transaction waits for it to end; otherwise they would run inside it
// (and be rolled back with it) or fail to BEGIN. Transactions take the write lock at once
// (BEGIN IMMEDIATE): another process writing the same file makes them wait busy_timeout, never
// deadlock halfway through.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { inTransaction, type SqlDriver, type SqlExecutor, type SqlResult } from './sql-dialect.ts';

/** The name of the `index`-th parameter (`@p1`...): named, so a statement may use one twice. */
export function parameterName(index: number): string {
  return `p${index}`;
}

export interface SqliteConnectionOptions {
  path: string;
  busyTimeoutMs?: number;
  /** Application functions to register on the connection (used by migrations). */
  functions?: Record<string, (text: unknown) => unknown>;
}

/** Opens (creating the file and its folder) and configures a connection. Throws what better-sqlite3 throws. */
export function connectSqlite(options: SqliteConnectionOptions): Database.Database {
  if (options.path !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('foreign_keys = ON');
    // WAL + NORMAL: a power cut may lose the last commits but never corrupts the file
    // (https://www.sqlite.org/pragma.html#pragma_synchronous).
    db.pragma('synchronous = NORMAL');
    for (const [name, fn] of Object.entries(options.functions ?? {})) db.function(name, { deterministic: true }, fn);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export class SqliteDriver implements SqlDriver {
  private readonly statements = new Map<string, Database.Statement>();
  /** The open transaction, if any: see the file comment. */
  private current: Promise<unknown> | null = null;
  /** Statements of the open transaction: they do not wait for it. */
  private readonly tx: SqlExecutor = {
    query: async <Row>(sql: string, params: readonly unknown[] = []) => this.execute<Row>(sql, params),
    script: async (sql: string) => {
      this.db.exec(sql);
    },
  };

  constructor(readonly db: Database.Database) {}

  query<Row>(sql: string, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
    return this.whenIdle(() => this.execute<Row>(sql, params));
  }

  script(sql: string): Promise<void> {
    return this.whenIdle(() => {
      this.db.exec(sql);
    });
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.whenIdle(() => {
      const running = inTransaction(this.tx, 'BEGIN IMMEDIATE', fn);
      this.current = running;
      return running.finally(() => {
        if (this.current === running) this.current = null;
      });
    });
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  /**
   * Runs `fn` once no transaction is open. The check and `fn` happen in the same turn (no await
   * between them), so no transaction can begin in between.
   */
  private async whenIdle<T>(fn: () => T | Promise<T>): Promise<T> {
    while (this.current) await this.current.catch(() => {});
    return fn();
  }

  private execute<Row>(sql: string, params: readonly unknown[]): SqlResult<Row> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    const named = Object.fromEntries(params.map((value, i) => [parameterName(i + 1), value]));
    if (statement.reader) {
      const rows = statement.all(named) as Row[];
      return { rows, rowCount: rows.length };
    }
    return { rows: [], rowCount: statement.run(named).changes };
  }
}
