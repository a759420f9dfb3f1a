/**
 * IM with @hutong/client's `Im` (Hutong's `/im`): contacts (`GET /weapp/im/contacts`), groups
 * (`GET`/`POST /weapp/im/groups`), and a conversation with ✓ (accepted), ✓✓ (delivered) and
 * 已读 (read), older messages on scrolling up (`history`), and `markRead` for what is on screen.
 * Messages sent to you while you were away arrive when the page connects.
 */
const hutong = require('@hutong/client');
const api = require('../../utils/api.js');
const { showError, toast } = require('../../utils/errors.js');
const view = require('../../utils/im-view.js');

/** Messages shown when a conversation opens, and loaded per scroll to the top. */
const PAGE = 20;
/** `history` page size when looking for the newest messages (the server's maximum). */
const SCAN = 200;

const stateText = {
  connecting: '正在连接…',
  online: '在线',
  reconnecting: '连接中断，正在重连…',
  closed: '已离线',
};

Page({
  data: {
    status: stateText.connecting,
    contacts: [],
    groups: [],
    groupName: '',
    chat: null,
    messages: [],
    hasOlder: false,
    draft: '',
    anchor: '',
  },

  onLoad() {
    this.me = '';
    this.names = {};
    this.unread = {};
    this.visible = true;
    this.closeChat();
    const im = new hutong.Im({ url: api.urls.im, deviceId: 'phone' });
    im.on('state', ({ to }) => this.setData({ status: stateText[to] || to }));
    im.on('message', (m) => this.received(m));
    im.on('delivered', ({ fp }) => this.advance(fp, 'delivered'));
    im.on('read', ({ conv, seq, by }) => {
      if (!this.chat || conv !== this.chat.conv || by === this.me || seq <= this.readUpTo) return;
      this.readUpTo = seq;
      this.render();
    });
    im.on('messagesLost', (lost) => {
      for (const m of lost) this.advance(m.fp, 'failed');
    });
    im.on('refused', ({ message }) => this.advance(message.fp, 'failed'));
    im.on('kicked', () =>
      wx.showModal({ title: '已在其他设备登录', content: '这里的 IM 已断开', showCancel: false }),
    );
    im.on('authFailed', () => this.setData({ status: 'IM 登录失败，请重新打开页面' }));
    this.im = im;
    this.ready = hutong.login().then(({ openId } = {}) => {
      this.me = String(openId || '');
    });
    this.ready.then(() => im.connect()).catch((error) => showError(error));
    this.refresh();
  },

  onShow() {
    this.visible = true;
    this.markShown();
  },

  onHide() {
    this.visible = false;
  },

  onUnload() {
    this.im.close();
  },

  async onPullDownRefresh() {
    await this.refresh();
    wx.stopPullDownRefresh();
  },

  // ---- contacts and groups ------------------------------------------------------------------

  async refresh() {
    try {
      const [{ contacts }, { groups }] = await Promise.all([
        api.get('/weapp/im/contacts'),
        api.get('/weapp/im/groups'),
      ]);
      this.contacts = contacts;
      this.groups = groups;
      for (const c of contacts) this.names[c.openId] = c.nickName;
      this.renderLists();
    } catch (error) {
      showError(error);
    }
  },

  renderLists() {
    const unread = (key) => this.unread[key] || 0;
    this.setData({
      contacts: (this.contacts || []).map((c) => ({
        id: c.openId,
        name: c.nickName,
        unread: unread(c.openId),
      })),
      groups: (this.groups || []).map((g) => ({
        id: String(g.id),
        name: g.name,
        size: g.members.length,
        unread: unread(`g:${g.id}`),
      })),
    });
  },

  onGroupName(e) {
    this.setData({ groupName: e.detail.value });
  },

  /** `<form bindsubmit>`: the name, and the contacts ticked in the `members` checkbox group. */
  async createGroup(e) {
    const name = String(e.detail.value.name || '').trim();
    const members = e.detail.value.members || [];
    if (!name || members.length === 0) {
      toast('请填写群名，并至少选一位联系人');
      return;
    }
    try {
      await api.post('/weapp/im/groups', { name, members });
      this.setData({ groupName: '' });
      wx.showToast({ title: '群已建好', icon: 'success' });
      await this.refresh();
    } catch (error) {
      showError(error, { ERR_DEMO_BAD_INPUT: '群名或成员不符合要求' });
    }
  },

  // ---- a conversation -----------------------------------------------------------------------

  async openChat(e) {
    const { kind, id, name } = e.currentTarget.dataset;
    await this.ready;
    const isGroup = kind === 'group';
    const chat = { id, isGroup, to: isGroup ? `g:${id}` : id, query: isGroup ? { group: id } : { with: id } };
    chat.conv = view.convOf(this.me, chat);
    this.chat = chat;
    this.items = [];
    this.readUpTo = 0;
    this.unread[chat.to] = 0;
    this.setData({ chat: { title: name, isGroup }, messages: [], hasOlder: false, draft: '' });
    try {
      const { messages, reads } = await this.latest(chat);
      if (this.chat !== chat) return;
      this.readUpTo = Math.max(this.readUpTo, view.othersRead(reads, this.me));
      this.show(
        messages.map((m) => view.itemOf(m, this.me)),
        true,
      );
    } catch (error) {
      showError(error);
    }
  },

  /** The newest PAGE messages: history is read forward (`after`), so scan to its end. */
  async latest(chat) {
    let after = 0;
    let kept = [];
    for (;;) {
      const page = await this.im.history(chat.query, { after, limit: SCAN });
      kept = kept.concat(page.messages).slice(-PAGE);
      if (page.messages.length < SCAN) return { messages: kept, reads: page.reads };
      after = page.messages[page.messages.length - 1].seq;
    }
  },

  /** `bindscrolltoupper`: the PAGE messages before the first one shown (seqs have no gaps). */
  async loadOlder() {
    const chat = this.chat;
    const first = this.items.find((item) => item.seq > 0);
    if (!chat || !first || first.seq <= 1 || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      const after = Math.max(0, first.seq - 1 - PAGE);
      const page = await this.im.history(chat.query, { after, limit: first.seq - 1 - after });
      if (this.chat !== chat) return;
      this.show(
        page.messages.map((m) => view.itemOf(m, this.me)),
        false,
        `seq${first.seq}`,
      );
    } catch (error) {
      showError(error);
    } finally {
      this.loadingOlder = false;
    }
  },

  closeChat() {
    this.chat = null;
    this.items = [];
    this.readUpTo = 0;
    this.setData({ chat: null, messages: [] });
    if (this.contacts) this.renderLists();
  },

  /** A message from the socket: into the open conversation, else counted as unread. */
  received(m) {
    const key = m.group !== undefined ? `g:${m.group}` : m.from;
    if (this.chat && this.chat.to === key) {
      this.show([view.itemOf(m, this.me)], true);
      return;
    }
    this.unread[key] = (this.unread[key] || 0) + 1;
    const listed =
      (this.contacts || []).some((c) => c.openId === key) ||
      (this.groups || []).some((g) => `g:${g.id}` === key);
    // Someone new, or a group I was just added to: the lists need them.
    if (listed) this.renderLists();
    else this.refresh();
  },

  onDraft(e) {
    this.setData({ draft: e.detail.value });
  },

  async send() {
    const text = this.data.draft.trim();
    const chat = this.chat;
    if (!text || !chat) return;
    const fp = hutong.fingerprint();
    this.setData({ draft: '' });
    this.show([{ sid: 0, seq: 0, fp, from: this.me, mine: true, text, status: 'sending' }], true);
    try {
      const sent = await this.im.send(chat.to, text, { fp });
      const item = this.items.find((i) => i.fp === fp && i.mine);
      if (!item || this.chat !== chat) return;
      Object.assign(item, { seq: sent.seq, sid: sent.sid });
      this.items = view.merge(this.items, []); // in seq order now that it has one
      this.advance(fp, 'sent');
    } catch (error) {
      this.advance(fp, 'failed');
      toast(error.type === 'ERR_IM_REFUSED' ? '消息被拒收' : '发送失败');
    }
  },

  advance(fp, status) {
    const item = this.items.find((i) => i.fp === fp && i.mine);
    if (!item) return;
    view.advance(item, status);
    this.render();
  },

  /** Merges items into the conversation; scrolls to the newest (`bottom`) or keeps `anchor` in view. */
  show(items, bottom, anchor) {
    this.items = view.merge(this.items, items);
    const last = this.items[this.items.length - 1];
    this.render(
      bottom ? last && (last.seq > 0 ? `seq${last.seq}` : `pending${this.items.length - 1}`) : anchor,
    );
    this.markShown();
  },

  render(anchor) {
    const first = this.items.find((item) => item.seq > 0);
    const data = {
      messages: view.render(this.items, this.readUpTo, this.names),
      hasOlder: Boolean(first && first.seq > 1),
    };
    if (anchor) data.anchor = anchor;
    this.setData(data);
  },

  /** Read receipts for what is on screen: the newest message shown, while the page is visible. */
  markShown() {
    if (!this.chat || !this.visible) return;
    const seq = this.items.reduce((max, item) => Math.max(max, item.seq || 0), 0);
    if (seq > (this.chat.markedUpTo || 0)) {
      this.chat.markedUpTo = seq;
      this.im.markRead(this.chat.conv, seq);
    }
  },
});
