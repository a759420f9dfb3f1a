/**
 * The SQL that writes one batch of accepts (an AcceptPlan as JSON, sql-accept-plan.ts) and one
 * batch of cursor moves, each in a single round trip and a single commit. Table names carry the
 * store's prefix (letters, digits and `_`, checked by tablePrefixPlugin), so the texts are built
 * per store; each is a fixed text whatever the batch size, prepared once per connection.
 *
 * Both accept forms first look for resends among the batch (`(sender, fp)` already stored): if
 * there is one they write nothing and answer the stored rows; otherwise they add to the counters
 * in the plan's order (locking them), insert the messages in batch order (so `sid` follows `seq`
 * within a conversation) and the inbox entries, and answer the counters' new values and each
 * message's `(conv, seq, sid)`.
 */

/** PostgreSQL: one statement (data-modifying CTEs), its own transaction. `$1`: the plan. */
export function pgAcceptSql(prefix: string): string {
  const t = (name: string) => `"${prefix}${name}"`;
  return `WITH m AS (
  SELECT x.* FROM jsonb_to_recordset($1::jsonb -> 'm') AS x(
    i int, conv text, sender text, target text, fp text, typeu int, content text, at bigint, back bigint)
), dup AS (
  SELECT s.* FROM m CROSS JOIN LATERAL (
    SELECT sid, conv, seq, sender, target, fp, typeu, content, created_at FROM ${t('im_messages')}
    WHERE sender = m.sender AND fp = m.fp LIMIT 1) s
), c AS (
  INSERT INTO ${t('im_counters')} AS k (name, value)
  SELECT x.name, x.n FROM jsonb_to_recordset($1::jsonb -> 'c') AS x(o int, name text, n bigint)
  WHERE NOT EXISTS (SELECT FROM dup) ORDER BY x.o
  ON CONFLICT (name) DO UPDATE SET value = k.value + excluded.value
  RETURNING k.name, k.value
), ins AS (
  INSERT INTO ${t('im_messages')} (conv, seq, sender, target, fp, typeu, content, created_at)
  SELECT m.conv, c.value - m.back, m.sender, m.target, m.fp, m.typeu, m.content, m.at
  FROM m JOIN c ON c.name = 'conv:' || m.conv ORDER BY m.i
  RETURNING sid, conv, seq
), inbox AS (
  INSERT INTO ${t('im_inbox')} (user_id, iseq, sid)
  SELECT r.u, ci.value - r.back, ins.sid
  FROM jsonb_to_recordset($1::jsonb -> 'r') AS r(u text, back bigint, conv text, mback bigint)
  JOIN c ci ON ci.name = 'inbox:' || r.u
  JOIN c cc ON cc.name = 'conv:' || r.conv
  JOIN ins ON ins.conv = r.conv AND ins.seq = cc.value - r.mback
)
SELECT (SELECT json_agg(dup) FROM dup) AS dups,
  (SELECT json_agg(json_build_array(name, value)) FROM c) AS counters,
  (SELECT json_agg(json_build_array(conv, seq, sid)) FROM ins) AS sids`;
}

/** The MariaDB/MySQL procedure that writes a batch: `CALL <prefix>im_accept(plan)`. */
export const mysqlAcceptProcedure = (prefix: string) => `\`${prefix}im_accept\``;

/** Ids as JSON_TABLE reads them: wider than any column, so an over-long id fails the insert (strict mode) rather than being cut. */
const ID = 'VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin';

/**
 * MariaDB 10.6+/MySQL 8 (JSON_TABLE). One transaction inside; any error rolls it back and reaches
 * the caller as it was raised. Runs with the caller's privileges (SQL SECURITY INVOKER).
 *
 * The transaction is READ COMMITTED: under REPEATABLE READ, InnoDB reads the tables a writing
 * statement (INSERT … SELECT) or a condition (IF EXISTS) looks at with shared next-key locks, and
 * the resend check's gap locks on UNIQUE (sender, fp) deadlock concurrent batches' inserts. READ
 * COMMITTED reads without locks (and sees the transaction's own changes); every number still comes
 * from a counter row the transaction holds locked. (With binlog_format=STATEMENT such writes are
 * refused: use MIXED, MariaDB's default, or ROW, MySQL's.)
 */
export function mysqlAcceptProcedureDdl(prefix: string): string {
  const t = (name: string) => `\`${prefix}${name}\``;
  const messages = `JSON_TABLE(batch, '$.m[*]' COLUMNS (
      i INT PATH '$.i', conv ${ID} PATH '$.conv', sender ${ID} PATH '$.sender',
      target ${ID} PATH '$.target', fp ${ID} PATH '$.fp', typeu INT PATH '$.typeu',
      content LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$.content',
      at BIGINT PATH '$.at', back BIGINT PATH '$.back')) AS j`;
  const counters = `JSON_TABLE(batch, '$.c[*]' COLUMNS (o INT PATH '$.o', name ${ID} PATH '$.name', n BIGINT PATH '$.n')) AS j`;
  const inbox = `JSON_TABLE(batch, '$.r[*]' COLUMNS (
      u ${ID} PATH '$.u', back BIGINT PATH '$.back', conv ${ID} PATH '$.conv', mback BIGINT PATH '$.mback')) AS j`;
  const dups = `${messages} JOIN ${t('im_messages')} s ON s.sender = j.sender AND s.fp = j.fp`;
  return `CREATE PROCEDURE ${mysqlAcceptProcedure(prefix)}(IN batch LONGTEXT CHARACTER SET utf8mb4)
MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
  START TRANSACTION;
  IF EXISTS (SELECT 1 FROM ${dups}) THEN
    ROLLBACK;
    SELECT 'd' AS k, s.sid, s.conv, s.seq, s.sender, s.target, s.fp, s.typeu, s.content, s.created_at
    FROM ${dups};
  ELSE
    INSERT INTO ${t('im_counters')} (name, value)
    SELECT j.name, j.n FROM ${counters} ORDER BY j.o
    ON DUPLICATE KEY UPDATE value = value + VALUES(value);
    INSERT INTO ${t('im_messages')} (conv, seq, sender, target, fp, typeu, content, created_at)
    SELECT j.conv, c.value - j.back, j.sender, j.target, j.fp, j.typeu, j.content, j.at
    FROM ${messages} JOIN ${t('im_counters')} c ON c.name = CONCAT('conv:', j.conv) ORDER BY j.i;
    INSERT INTO ${t('im_inbox')} (user_id, iseq, sid)
    SELECT j.u, ci.value - j.back, s.sid FROM ${inbox}
    JOIN ${t('im_counters')} ci ON ci.name = CONCAT('inbox:', j.u)
    JOIN ${t('im_counters')} cc ON cc.name = CONCAT('conv:', j.conv)
    JOIN ${t('im_messages')} s ON s.conv = j.conv AND s.seq = cc.value - j.mback;
    SELECT 'c' AS k, c.name, c.value, NULL AS sid FROM ${counters} JOIN ${t('im_counters')} c ON c.name = j.name
    UNION ALL
    SELECT 'm', s.conv, s.seq, s.sid FROM ${messages}
    JOIN ${t('im_counters')} c ON c.name = CONCAT('conv:', j.conv)
    JOIN ${t('im_messages')} s ON s.conv = j.conv AND s.seq = c.value - j.back;
    COMMIT;
  END IF;
END`;
}

/**
 * Cursor moves, `$1`/`?`: JSON `[[user, device, iseq], …]`, one entry per (user, device), sorted
 * (the lock order). A cursor only moves forward.
 */
export function pgAdvanceSql(prefix: string): string {
  const t = `"${prefix}im_cursors"`;
  return `INSERT INTO ${t} AS k (user_id, device, iseq)
SELECT x ->> 0, x ->> 1, (x ->> 2)::bigint FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(x, o) ORDER BY o
ON CONFLICT (user_id, device) DO UPDATE SET iseq = greatest(k.iseq, excluded.iseq)`;
}

export function mysqlAdvanceSql(prefix: string): string {
  return `INSERT INTO \`${prefix}im_cursors\` (user_id, device, iseq)
SELECT j.u, j.d, j.n FROM JSON_TABLE(?, '$[*]' COLUMNS (
  o FOR ORDINALITY, u ${ID} PATH '$[0]', d ${ID} PATH '$[1]', n BIGINT PATH '$[2]')) AS j ORDER BY j.o
ON DUPLICATE KEY UPDATE iseq = GREATEST(iseq, VALUES(iseq))`;
}
