/**
 * IM chat on Hutong's `/im`: contacts and groups from the demo routes, messages through
 * `ImClient`. A message of ours shows ✓ when the server accepted (stored) it, ✓✓ when a device of
 * the receiver acknowledged it, and turns blue when it was read. Older messages load on scrolling
 * back (`history({before})`).
 */
import { fingerprint, ImClient, type ImMessage } from '@hutong/client/core';
import { displayName, t } from '../shared/i18n.js';
import { ApiError, api, client, loadProfile, type Profile } from '../shared/session.js';
import { banner, byId, h, mountChrome, showName, toast } from '../shared/ui.js';

interface Group {
  id: string;
  name: string;
  members: string[];
}

type Status = 'sending' | 'accepted' | 'delivered' | 'read' | 'failed';

interface Line {
  fp: string;
  seq?: number;
  from: string;
  content: string;
  at: number;
  status?: Status;
}

/** One conversation: `key` is the peer's openid, or `g:<id>` for a group. */
interface Thread {
  key: string;
  title: string;
  conv?: string;
  lines: Map<string, Line>;
  loaded: boolean;
  hasOlder: boolean;
  unread: number;
}

const PAGE = 20;
const NEWEST = Number.MAX_SAFE_INTEGER;

mountChrome();
const contactsEl = byId<HTMLUListElement>('contacts');
const groupsEl = byId<HTMLUListElement>('groups');
const stateEl = byId('im-state');
const titleEl = byId('conv-title');
const thread = byId('thread');
const messagesEl = byId<HTMLOListElement>('messages');
const olderButton = byId<HTMLButtonElement>('older');
const pick = byId('pick');
const sendForm = byId<HTMLFormElement>('send-form');
const textInput = byId<HTMLInputElement>('text');

let me: Profile;
let im: ImClient;
let contacts: Profile[] = [];
let groups: Group[] = [];
const names = new Map<string, string>();
const threads = new Map<string, Thread>();
let open: Thread | undefined;

const threadOf = (key: string): Thread => {
  let found = threads.get(key);
  if (!found) {
    const group = key.startsWith('g:') ? groups.find((g) => `g:${g.id}` === key) : undefined;
    found = {
      key,
      title: group ? group.name : (names.get(key) ?? key),
      lines: new Map(),
      loaded: false,
      hasOlder: true,
      unread: 0,
    };
    threads.set(key, found);
  }
  return found;
};

/** The thread a message belongs to, seen from this user. */
const keyOf = (m: Pick<ImMessage, 'from' | 'to' | 'group'>): string =>
  m.group ? `g:${m.group}` : m.from === me.openId ? m.to : m.from;

function tick(line: Line): HTMLElement | null {
  if (line.from !== me.openId || !line.status) return null;
  const marks: Record<Status, string> = {
    sending: '…',
    accepted: '✓',
    delivered: '✓✓',
    read: '✓✓',
    failed: '!',
  };
  const label = t(`im.${line.status}` as 'im.read');
  return h(
    'div',
    { class: `tick ${line.status}`, 'data-status': line.status },
    `${marks[line.status]} ${label}`,
  );
}

function render(): void {
  renderPeers();
  if (!open) return;
  titleEl.textContent = open.title;
  pick.hidden = true;
  sendForm.hidden = false;
  olderButton.hidden = !open.loaded || !open.hasOlder;
  const ordered = [...open.lines.values()].sort(
    (a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER) || a.at - b.at,
  );
  const stick = thread.scrollTop + thread.clientHeight >= thread.scrollHeight - 8;
  messagesEl.replaceChildren(
    ...ordered.map((line) =>
      h(
        'li',
        { class: `bubble${line.from === me.openId ? ' mine' : ''}`, 'data-seq': line.seq ?? '' },
        open?.key.startsWith('g:') && line.from !== me.openId
          ? h('div', { class: 'from' }, names.get(line.from) ?? line.from)
          : null,
        h('div', { class: 'text' }, line.content),
        tick(line),
      ),
    ),
  );
  if (stick) thread.scrollTop = thread.scrollHeight;
}

function peerButton(key: string, label: string): HTMLLIElement {
  const state = threads.get(key);
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: open?.key === key ? 'open' : undefined,
        'data-key': key,
        onclick: () => void show(key),
      },
      h('span', { class: 'name' }, label),
      state && state.unread > 0 ? h('span', { class: 'badge' }, state.unread) : null,
    ),
  );
}

function renderPeers(): void {
  // Contacts, then anyone else who wrote to us (a user who has not chosen a name).
  const people = contacts.map((c): [string, string] => [c.openId, c.nickName]);
  for (const key of threads.keys())
    if (!key.startsWith('g:') && !people.some(([id]) => id === key))
      people.push([key, names.get(key) ?? key]);
  contactsEl.replaceChildren(
    ...(people.length === 0
      ? [h('li', { class: 'empty' }, t('im.no-contacts'))]
      : people.map(([id, name]) => peerButton(id, name))),
  );
  groupsEl.replaceChildren(
    ...groups.map((g) =>
      peerButton(`g:${g.id}`, `${g.name} (${t('im.group-members', { n: g.members.length })})`),
    ),
  );
}

/** Marks `conv` read up to its newest message from someone else, when it is on screen. */
function markSeen(state: Thread): void {
  if (open !== state || document.hidden || !state.conv) return;
  let newest = 0;
  for (const line of state.lines.values())
    if (line.from !== me.openId && line.seq) newest = Math.max(newest, line.seq);
  if (newest > 0) im.markRead(state.conv, newest);
  state.unread = 0;
}

async function loadPage(state: Thread, before: number): Promise<void> {
  const conversation = state.key.startsWith('g:') ? { group: state.key.slice(2) } : { with: state.key };
  const page = await im.history(conversation, { before, limit: PAGE });
  state.conv = page.conv;
  for (const m of page.messages) {
    const fp = m.fp ?? `sid:${m.sid}`;
    if (state.lines.has(fp)) continue;
    state.lines.set(fp, { fp, seq: m.seq, from: m.from, content: m.content, at: m.createdAt });
  }
  state.hasOlder = page.messages.length === PAGE;
  // Read positions: ours are read once someone else's position has reached them.
  const othersRead = Math.max(
    0,
    ...Object.entries(page.reads)
      .filter(([u]) => u !== me.openId)
      .map(([, s]) => s),
  );
  for (const line of state.lines.values()) {
    if (line.from === me.openId && line.seq !== undefined) {
      if (line.seq <= othersRead) line.status = 'read';
      else line.status ??= 'accepted';
    }
  }
  state.loaded = true;
}

async function show(key: string): Promise<void> {
  const state = threadOf(key);
  open = state;
  render();
  if (!state.loaded) {
    try {
      await loadPage(state, NEWEST);
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), 'error');
    }
  }
  thread.scrollTop = thread.scrollHeight;
  markSeen(state);
  render();
  textInput.focus();
}

let loadingOlder = false;

async function older(): Promise<void> {
  if (!open?.loaded || !open.hasOlder || loadingOlder) return;
  loadingOlder = true;
  const state = open;
  const oldest = Math.min(...[...state.lines.values()].map((l) => l.seq ?? NEWEST));
  const height = thread.scrollHeight;
  olderButton.disabled = true;
  try {
    await loadPage(state, oldest);
    if (!state.hasOlder) toast(t('im.no-older'));
  } catch (e) {
    toast(e instanceof Error ? e.message : String(e), 'error');
  } finally {
    olderButton.disabled = false;
    loadingOlder = false;
  }
  render();
  thread.scrollTop = thread.scrollHeight - height; // keep the view where it was
}

/** Groups again (someone added us to a new one), with the titles of threads opened meanwhile. */
async function refreshGroups(): Promise<void> {
  ({ groups } = await api<{ groups: Group[] }>('GET', '/im/groups'));
  for (const group of groups) {
    const state = threads.get(`g:${group.id}`);
    if (state) state.title = group.name;
  }
  render();
}

function onMessage(m: ImMessage): void {
  if (m.group && !groups.some((g) => g.id === m.group)) void refreshGroups().catch(() => {});
  const state = threadOf(keyOf(m));
  state.conv = m.conv;
  const known = state.lines.get(m.fp);
  if (known && known.seq !== undefined) return;
  state.lines.set(m.fp, { fp: m.fp, seq: m.seq, from: m.from, content: m.content, at: m.sentAt });
  if (m.from !== me.openId) {
    if (open === state && !document.hidden) markSeen(state);
    else state.unread += 1;
  }
  render();
}

function updateStatus(fp: string, status: Status, seq?: number): void {
  for (const state of threads.values()) {
    const line = state.lines.get(fp);
    if (!line) continue;
    const rank: Status[] = ['sending', 'accepted', 'delivered', 'read'];
    if (status === 'failed' || rank.indexOf(status) > rank.indexOf(line.status ?? 'sending'))
      line.status = status;
    if (seq !== undefined) line.seq = seq;
  }
  render();
}

function connect(): void {
  im = new ImClient(client, { url: `${location.origin.replace(/^http/, 'ws')}/im`, deviceId: 'web' });
  im.on('state', ({ to }) => {
    stateEl.className = `state ${to}`;
    stateEl.textContent = t(`im.state.${to}`);
    document.body.dataset['im'] = to;
  });
  im.on('message', onMessage);
  im.on('accepted', ({ fp, seq, conv, to }) => {
    threadOf(to).conv = conv;
    updateStatus(fp, 'accepted', seq);
  });
  im.on('delivered', ({ fp }) => updateStatus(fp, 'delivered'));
  im.on('read', ({ conv, seq, by }) => {
    if (by === me.openId) return;
    for (const state of threads.values()) {
      if (state.conv !== conv) continue;
      for (const line of state.lines.values())
        if (line.from === me.openId && line.seq !== undefined && line.seq <= seq) line.status = 'read';
    }
    render();
  });
  im.on('messagesLost', (lost) => {
    for (const m of lost) updateStatus(m.fp, 'failed');
  });
  im.on('kicked', () => {
    banner(t('im.kicked'), 'warn');
    const takeOver = h('button', { type: 'button', class: 'primary', id: 'take-over' }, t('im.take-over'));
    takeOver.addEventListener('click', () => {
      banner(null);
      connect();
    });
    byId('banner').append(' ', takeOver);
  });
  im.on('authFailed', ({ reason }) => banner(t('im.auth-failed', { message: reason }), 'error'));
  im.connect().catch(() => {
    // authFailed / kicked say why on the page.
  });
}

sendForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = textInput.value;
  if (!open || text.trim() === '') return;
  const state = open;
  const fp = fingerprint();
  state.lines.set(fp, { fp, from: me.openId, content: text, at: Date.now(), status: 'sending' });
  textInput.value = '';
  render();
  thread.scrollTop = thread.scrollHeight;
  im.send(state.key, text, { fp }).catch((e: unknown) => {
    updateStatus(fp, 'failed');
    toast(e instanceof Error ? e.message : String(e), 'error');
  });
});

olderButton.addEventListener('click', () => void older());
thread.addEventListener('scroll', () => {
  if (thread.scrollTop === 0) void older();
});
document.addEventListener('visibilitychange', () => {
  if (open) markSeen(open);
  render();
});

byId<HTMLFormElement>('group-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = byId<HTMLInputElement>('group-name').value.trim();
  const members = [...document.querySelectorAll<HTMLInputElement>('#group-members input:checked')].map(
    (i) => i.value,
  );
  try {
    const { group } = await api<{ group: Group }>('POST', '/im/groups', { name, members });
    groups.unshift(group);
    byId<HTMLDetailsElement>('new-group').open = false;
    byId<HTMLInputElement>('group-name').value = '';
    await show(`g:${group.id}`);
  } catch (e) {
    toast(e instanceof ApiError ? e.message : String(e), 'error');
  }
});

try {
  me = await loadProfile();
  showName(me.nickName);
  names.set(me.openId, me.nickName);
  connect();
  [{ contacts }, { groups }] = await Promise.all([
    api<{ contacts: Profile[] }>('GET', '/im/contacts'),
    api<{ groups: Group[] }>('GET', '/im/groups'),
  ]);
  contacts = contacts.map((c) => ({ ...c, nickName: displayName(c.nickName, c.openId) }));
  for (const c of contacts) names.set(c.openId, c.nickName);
  for (const state of threads.values()) {
    const group = groups.find((g) => `g:${g.id}` === state.key);
    state.title = group ? group.name : (names.get(state.key) ?? state.key);
  }
  byId('group-members').replaceChildren(
    ...contacts.map((c) =>
      h('label', {}, h('input', { type: 'checkbox', value: c.openId }), ' ', c.nickName),
    ),
  );
  render();
} catch (e) {
  contactsEl.replaceChildren();
  banner(t('me.failed', { message: (e as Error).message }), 'error');
}
