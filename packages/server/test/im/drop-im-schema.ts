/** Test cleanup for SqlMessageStore: its tables, and on MariaDB/MySQL its accept procedure. */
import mysql from 'mysql2/promise';
import { dropTables } from '../../../../testing/sql.js';
import { mysqlAcceptProcedure } from '../../src/im/sql-accept-statements.js';
import { imTables } from '../../src/im/sql-message-schema.js';

export async function dropImSchema(kind: 'mysql' | 'postgres', url: string, prefix: string): Promise<void> {
  await dropTables(kind, url, prefix, imTables);
  if (kind !== 'mysql') return;
  const conn = await mysql.createConnection(url);
  try {
    await conn.query(`DROP PROCEDURE IF EXISTS ${mysqlAcceptProcedure(prefix)}`);
  } finally {
    await conn.end();
  }
}
