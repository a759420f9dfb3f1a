/** Test cleanup for the SQL stores: drops `<prefix><name>` tables a run created. */
import mysql from 'mysql2/promise';
import pg from 'pg';

export async function dropTables(
  kind: 'mysql' | 'postgres',
  url: string,
  prefix: string,
  names: readonly string[],
): Promise<void> {
  const tables = names.map((t) => `${prefix}${t}`).join(', ');
  if (kind === 'mysql') {
    const conn = await mysql.createConnection(url);
    await conn.query(`DROP TABLE IF EXISTS ${tables}`);
    await conn.end();
  } else {
    const client = new pg.Client(url);
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS ${tables}`);
    await client.end();
  }
}
