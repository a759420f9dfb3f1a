/**
 * The IM conversation as a list: messages from history and from the socket merged by their
 * server numbers, and what each bubble shows — ✓ accepted, ✓✓ delivered, 已读 read.
 */

/** A receipt never moves a message back: sending → sent (accepted) → delivered. */
const rank = { failed: -1, sending: 0, sent: 1, delivered: 2 };

/** Hutong's conversation id (docs/im.md): `c:<a>|<b>` sorted, or `g:<group>`. */
function convOf(me, chat) {
  if (chat.isGroup) return `g:${chat.id}`;
  return me < chat.id ? `c:${me}|${chat.id}` : `c:${chat.id}|${me}`;
}

/**
 * A stored or received message (`history` or the `message` event) as a list item.
 * @param {{sid: number, seq: number, from: string, fp?: string | null, content: string}} m
 */
function itemOf(m, me) {
  return {
    sid: m.sid,
    seq: m.seq,
    fp: m.fp || '',
    from: m.from,
    mine: m.from === me,
    text: String(m.content),
    status: m.from === me ? 'sent' : '',
  };
}

const same = (a, b) => (a.sid && a.sid === b.sid) || (a.fp && a.fp === b.fp && a.from === b.from);

/** `items` plus those of `incoming` not there yet; numbered messages by seq, then those still sending. */
function merge(items, incoming) {
  const all = items.slice();
  for (const item of incoming) {
    const known = all.find((other) => same(other, item));
    if (!known) all.push(item);
    else if (!known.seq && item.seq) Object.assign(known, { seq: item.seq, sid: item.sid });
  }
  const numbered = all.filter((item) => item.seq > 0).sort((a, b) => a.seq - b.seq);
  return numbered.concat(all.filter((item) => !(item.seq > 0)));
}

/** Applies a status change unless it would move the message back. */
function advance(item, status) {
  if (status === 'failed' ? item.status === 'sending' : rank[status] > rank[item.status]) {
    item.status = status;
  }
}

function tickOf(item, readUpTo) {
  if (!item.mine) return '';
  if (item.status === 'failed') return '发送失败';
  if (item.status === 'sending') return '发送中';
  if (item.seq > 0 && item.seq <= readUpTo) return '✓✓ 已读';
  return item.status === 'delivered' ? '✓✓' : '✓';
}

/** What the WXML binds: plain data, one entry per bubble. */
function render(items, readUpTo, names) {
  return items.map((item, index) => ({
    uid: item.fp ? `${item.from}|${item.fp}` : `s${item.sid}`,
    anchor: item.seq > 0 ? `seq${item.seq}` : `pending${index}`,
    mine: item.mine,
    name: item.mine ? '我' : names[item.from] || `用户 ${item.from.slice(-4)}`,
    text: item.text,
    tick: tickOf(item, readUpTo),
    read: item.mine && item.seq > 0 && item.seq <= readUpTo,
    failed: item.status === 'failed',
  }));
}

/** The highest read position of anyone but me (`reads` from history: `{user: seq}`). */
function othersRead(reads, me) {
  let best = 0;
  for (const user of Object.keys(reads || {})) {
    if (user !== me && reads[user] > best) best = reads[user];
  }
  return best;
}

module.exports = { convOf, itemOf, merge, advance, render, othersRead };
