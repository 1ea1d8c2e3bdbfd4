// pg behind the SqlDriver: statements go to the pool (any free connection); a transaction takes
// one pooled client for its whole length, since BEGIN and COMMIT only mean something on one
// connection.
import type pg from 'pg';
import { inTransaction, type SqlDriver, type SqlExecutor, type SqlResult } from './sql-dialect.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Statements on `on`. pg uses the simple protocol without parameters, so a script may hold several statements. */
function executor(on: Queryable): SqlExecutor {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
      const result = await on.query(sql, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async script(sql: string): Promise<void> {
      await on.query(sql);
    },
  };
}

export class PostgresDriver implements SqlDriver {
  private readonly direct: SqlExecutor;

  constructor(readonly pool: pg.Pool) {
    this.direct = executor(pool);
  }

  query<Row>(sql: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    return this.direct.query<Row>(sql, params);
  }

  script(sql: string): Promise<void> {
    return this.direct.script(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await inTransaction(executor(client), 'BEGIN', fn);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end().catch(() => {});
  }
}
