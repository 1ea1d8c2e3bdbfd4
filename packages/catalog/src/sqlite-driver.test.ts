// The SQLite driver shares one connection between every caller while the core's transactions
// await between statements: statements and transactions started meanwhile must wait for the open
// transaction, not run inside it (and be rolled back with it).
import { afterEach, describe, expect, it } from 'vitest';
import { connectSqlite, SqliteDriver } from './sqlite-driver.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SqliteDriver', () => {
  let driver: SqliteDriver;
  afterEach(() => driver.close());

  async function open(): Promise<SqliteDriver> {
    driver = new SqliteDriver(connectSqlite({ path: ':memory:' }));
    await driver.script('CREATE TABLE t (id TEXT PRIMARY KEY)');
    return driver;
  }

  const ids = async () => (await driver.query<{ id: string }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id);

  it('holds other statements back until a transaction ends, so a rollback keeps their writes', async () => {
    await open();
    const order: string[] = [];
    const failing = driver.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (@p1)', ['in-tx']);
      await pause(20);
      order.push('tx ends');
      throw new Error('rolled back');
    });
    const outside = driver.query('INSERT INTO t VALUES (@p1)', ['outside']).then(() => order.push('outside ran'));
    await expect(failing).rejects.toThrow('rolled back');
    await outside;
    expect(order).toEqual(['tx ends', 'outside ran']);
    expect(await ids()).toEqual(['outside']);
  });

  it('runs concurrent transactions one after the other', async () => {
    await open();
    const counts = await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        driver.transaction(async (tx) => {
          const { rows } = await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM t');
          await pause(5);
          await tx.query('INSERT INTO t VALUES (@p1)', [id]);
          return rows[0]?.n;
        }),
      ),
    );
    expect(counts).toEqual([0, 1, 2]);
    expect(await ids()).toEqual(['a', 'b', 'c']);
  });
});
