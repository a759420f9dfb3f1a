/**
 * The Wafer chat room on a Tunnel (`GET /weapp/tunnel`): who is here (`members`, then `people`
 * enter/leave), what is said (`speak`), a send box, and a status line that shows the tunnel
 * connecting, reconnecting, offline and its errors. Leaving the page leaves the room.
 */
const hutong = require('@hutong/client');
const { urls } = require('../../utils/api.js');
const { showError, toast } = require('../../utils/errors.js');

const MAX_MESSAGES = 200;

const stateText = {
  connecting: '正在连接…',
  active: '已连接',
  reconnecting: '连接中断，正在重连…',
  closed: '已离线',
};

/** Tunnel error codes (docs/client.md): what the user is told. */
const errorText = {
  1001: '拿不到聊天室的地址',
  1002: '连不上服务器',
  2001: '多次重连都失败了',
  3001: '网络出错',
};

/** `{openId, nickName}` as shown: never an empty name. */
const member = (user) => {
  const { openId, nickName } = user || {};
  return { openId: String(openId || ''), nickName: String(nickName || '匿名用户') };
};

Page({
  data: {
    status: stateText.connecting,
    error: '',
    offline: false,
    members: [],
    messages: [],
    draft: '',
    lastId: '',
  },

  onLoad() {
    this.me = '';
    this.nextId = 0;
    this.open();
    // Who "me" is, to tell my messages apart; the tunnel shares this login.
    hutong
      .login()
      .then(({ openId } = {}) => {
        this.me = String(openId || '');
      })
      .catch((error) => showError(error));
  },

  onUnload() {
    if (this.tunnel) this.tunnel.close();
  },

  open() {
    const tunnel = new hutong.Tunnel(urls.tunnel);
    tunnel.on('state', ({ to }) => this.setData({ status: stateText[to] || to, offline: to === 'closed' }));
    tunnel.on('connect', () => this.setData({ error: '' }));
    tunnel.on('reconnect', ({ resumed }) => {
      this.setData({ error: '' });
      this.system(resumed ? '已重连，没有漏掉消息' : '已重连：断线期间的消息收不到了');
    });
    tunnel.on('error', ({ code }) => this.setData({ error: `${errorText[code] || '连接出错'}（${code}）` }));
    tunnel.on('members', ({ list }) => this.setData({ members: (list || []).map(member).filter(unique) }));
    tunnel.on('people', (people) => this.people(people));
    tunnel.on('speak', ({ who, word }) => {
      const user = member(who);
      this.push({ kind: 'speak', name: user.nickName, mine: user.openId === this.me, text: String(word) });
    });
    tunnel.open();
    this.tunnel = tunnel;
  },

  /** "重新进入": a closed tunnel opens again (a new tunnel, so `members` comes again). */
  reopen() {
    this.setData({ error: '' });
    this.tunnel.open();
  },

  /** `people {total, enter}` / `people {total, leave}`: the list changes and the room is told. */
  people({ enter, leave }) {
    if (enter) {
      const user = member(enter);
      const members = this.data.members.filter((m) => m.openId !== user.openId).concat([user]);
      this.setData({ members });
      this.system(`${user.nickName} 进入了聊天室`);
    } else if (leave) {
      const user = member(leave);
      this.setData({ members: this.data.members.filter((m) => m.openId !== user.openId) });
      this.system(`${user.nickName} 离开了聊天室`);
    }
  },

  onDraft(e) {
    this.setData({ draft: e.detail.value });
  },

  send() {
    const word = this.data.draft.trim();
    if (!word) return;
    if (word.length > 2000) {
      toast('一条消息最多 2000 个字');
      return;
    }
    try {
      // Queued by the SDK while connecting or reconnecting; sent once the tunnel is up.
      this.tunnel.emit('speak', { word });
      this.setData({ draft: '' });
    } catch (_error) {
      toast('已离线，请先重新进入聊天室');
    }
  },

  system(text) {
    this.push({ kind: 'system', name: '', mine: false, text });
  },

  push(message) {
    this.nextId += 1;
    const id = `m${this.nextId}`;
    const messages = this.data.messages.concat([Object.assign({ id }, message)]).slice(-MAX_MESSAGES);
    this.setData({ messages, lastId: id });
  },
});

/** Array.filter callback: the first entry of each openId (a user may have two tunnels). */
function unique(user, index, list) {
  return list.findIndex((other) => other.openId === user.openId) === index;
}
