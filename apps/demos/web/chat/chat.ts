/**
 * The Wafer chat room on a tunnel (`/weapp/tunnel`): who is here, speak, leave. The tunnel's state
 * is always on screen, so a drop and the reconnect that follows are visible.
 */
import type { Tunnel } from '@hutong/client/core';
import { displayName, t } from '../shared/i18n.js';
import { client, loadProfile } from '../shared/session.js';
import { banner, byId, h, mountChrome, showName, toast } from '../shared/ui.js';

interface User {
  openId?: string;
  nickName?: string;
}

mountChrome();
const list = byId<HTMLOListElement>('messages');
const membersEl = byId<HTMLUListElement>('members');
const countEl = byId('member-count');
const stateEl = byId('state');
const word = byId<HTMLInputElement>('word');
const leave = byId<HTMLButtonElement>('leave');
const enter = byId<HTMLButtonElement>('enter');

let me: User = {};
/** Who is here, by openid, with how many of their tunnels are in the room. */
const members = new Map<string, { user: User; tunnels: number }>();
let tunnel: Tunnel | undefined;

const nameOf = (user: User) => (user.nickName ? displayName(user.nickName, user.openId) : '?');

function renderMembers(): void {
  countEl.textContent = t('chat.members', { n: members.size });
  membersEl.replaceChildren(
    ...[...members.values()].map(({ user }) =>
      h(
        'li',
        { class: user.openId === me.openId ? 'me' : undefined, title: user.openId ?? '' },
        nameOf(user),
      ),
    ),
  );
}

function line(node: HTMLLIElement): void {
  list.querySelector('.empty')?.remove();
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
  list.append(node);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

const system = (text: string) => line(h('li', { class: 'system' }, text));

function setState(state: string, text = t(`state.${state}` as 'state.active')): void {
  stateEl.className = `state ${state}`;
  stateEl.textContent = text;
  document.body.dataset['tunnel'] = state;
}

function join(user: User): void {
  const key = user.openId ?? nameOf(user);
  const entry = members.get(key);
  if (entry) entry.tunnels += 1;
  else members.set(key, { user, tunnels: 1 });
}

function open(): void {
  const next = new client.Tunnel(`${location.origin}/weapp/tunnel`);
  tunnel = next;
  members.clear();
  renderMembers();
  next.on('state', ({ to }: { to: string }) => setState(to));
  next.on('members', ({ list: everyone }: { list: User[] }) => {
    members.clear();
    for (const user of everyone) join(user);
    renderMembers();
  });
  next.on('people', (people: { total: number; enter?: User; leave?: User }) => {
    if (people.enter) {
      // Our own entry is in the `members` list already.
      if (people.enter.openId !== me.openId || !members.has(me.openId ?? '')) join(people.enter);
      system(t('chat.entered', { name: nameOf(people.enter) }));
    }
    if (people.leave) {
      const key = people.leave.openId ?? nameOf(people.leave);
      const entry = members.get(key);
      if (entry && --entry.tunnels <= 0) members.delete(key);
      system(t('chat.left', { name: nameOf(people.leave) }));
    }
    renderMembers();
  });
  next.on('speak', ({ who, word: said }: { who: User; word: string }) => {
    const mine = who.openId === me.openId;
    line(
      h(
        'li',
        { class: mine ? 'mine' : undefined },
        h('span', { class: 'who' }, nameOf(who)),
        h('span', { class: 'word' }, said),
      ),
    );
  });
  next.on('reconnect', ({ resumed }: { resumed: boolean }) =>
    toast(t(resumed ? 'state.resumed' : 'state.renewed'), resumed ? 'ok' : 'warn'),
  );
  next.on('error', ({ code, message }: { code: number; message: string }) => {
    if (code !== 3001) banner(t('state.failed', { message: `${message} (${code})` }), 'error');
  });
  next.on('close', () => {
    if (tunnel !== next) return;
    setState('closed');
    leave.hidden = true;
    enter.hidden = false;
  });
  leave.hidden = false;
  enter.hidden = true;
  banner(navigator.onLine ? null : t('net.offline'), 'warn');
  next.open();
}

byId<HTMLFormElement>('say').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = word.value;
  if (text.trim() === '') return;
  if (text.length > 2000) {
    toast(t('chat.too-long'), 'error');
    return;
  }
  if (!tunnel || tunnel.state === 'closed') return;
  tunnel.emit('speak', { word: text });
  word.value = '';
});

leave.addEventListener('click', () => {
  const closing = tunnel;
  tunnel = undefined;
  closing?.close();
  members.clear();
  renderMembers();
  setState('closed');
  system(t('chat.you-left'));
  leave.hidden = true;
  enter.hidden = false;
});
enter.addEventListener('click', () => open());

setState('connecting');
list.append(h('li', { class: 'empty' }, t('chat.empty')));
try {
  const profile = await loadProfile();
  me = profile;
  showName(profile.nickName);
  open();
} catch (e) {
  setState('closed');
  banner(t('me.failed', { message: (e as Error).message }), 'error');
}
