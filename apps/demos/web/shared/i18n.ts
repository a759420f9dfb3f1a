/**
 * The pages' two languages. Static text is marked `data-i18n="key"` in the HTML; code calls `t`.
 * The choice is kept in localStorage; the browser's language is the default.
 */
const zh = {
  'app.name': 'Hutong 演示',
  'nav.home': '首页',
  'nav.chat': '聊天室',
  'nav.doodle': '一笔到底',
  'nav.im': '即时通讯',
  'nav.admin': '仪表盘',
  'lang.switch': 'English',
  'me.loading': '正在登录…',
  'me.you': '你是',
  'me.failed': '登录失败：{message}',
  'me.default-name': '用户 {id}',
  'session.renewed': '登录已过期，已自动重新登录。',
  'net.offline': '网络已断开，恢复后会自动重连。',
  'net.online': '网络已恢复。',
  'home.title': '微信小程序后端演示',
  'home.lead': '用两个浏览器窗口（例如一个普通窗口、一个无痕窗口）就是两个用户。微信模拟器代替手机完成登录。',
  'home.name': '你的昵称',
  'home.save': '保存',
  'home.saved': '昵称已保存。',
  'home.chat': 'Wafer 聊天室：看谁在线、发言、离开，断线自动重连。',
  'home.doodle': '一笔画出一幅画，保存下来，下次回来还能回放。',
  'home.im': '一对一和群聊，送达与已读回执，离线消息，历史记录。',
  'home.admin': '每个节点的实时连接数、消息与登录速率、最近的错误（需要管理令牌）。',
  'home.open': '打开',
  'chat.members': '在线 {n} 人',
  'chat.placeholder': '说点什么…',
  'chat.send': '发送',
  'chat.leave': '离开',
  'chat.enter': '重新进入',
  'chat.entered': '{name} 进入了聊天室',
  'chat.left': '{name} 离开了聊天室',
  'chat.you-left': '你已离开聊天室。',
  'chat.empty': '还没有人说话。',
  'chat.too-long': '一条消息最多 2000 个字。',
  'state.connecting': '正在连接…',
  'state.active': '已连接',
  'state.reconnecting': '连接中断，正在重连…',
  'state.closed': '未连接',
  'state.resumed': '已重连，没有漏掉消息。',
  'state.renewed': '已重连（新的连接，期间的消息可能错过）。',
  'state.failed': '连接失败：{message}',
  'doodle.hint': '按住鼠标（或手指）一笔画完，松开就是一幅画。',
  'doodle.title': '标题（可选）',
  'doodle.save': '保存',
  'doodle.clear': '清空',
  'doodle.points': '{n} / {max} 个点',
  'doodle.saved': '已保存。',
  'doodle.mine': '我的画',
  'doodle.none': '还没有画。画一笔，保存下来。',
  'doodle.replay': '回放',
  'doodle.delete': '删除',
  'doodle.confirm-delete': '删除「{title}」？',
  'doodle.deleted': '已删除。',
  'doodle.untitled': '无题',
  'doodle.replaying': '正在回放「{title}」',
  'doodle.replayed': '回放完毕：「{title}」',
  'doodle.damaged': '这幅画已损坏，无法回放。',
  'doodle.too-long-now': '这一笔太长了（最多 {max} 个点），已停止记录。',
  'doodle.dialect.wafer': '改用原版一笔到底的接口（weapp-session）',
  'doodle.dialect.weapp-session': '正在使用原版一笔到底的接口（weapp-session），与原版小程序共享画作。',
  'doodle.dialect.back': '切回 Hutong 接口',
  'im.contacts': '联系人',
  'im.groups': '群聊',
  'im.no-contacts': '还没有其他用户。让另一个窗口的用户先设置昵称。',
  'im.new-group': '新建群聊',
  'im.group-name': '群名称',
  'im.create': '创建',
  'im.pick': '选择一个联系人或群聊开始聊天。',
  'im.placeholder': '输入消息…',
  'im.send': '发送',
  'im.sending': '发送中',
  'im.accepted': '已发送',
  'im.delivered': '已送达',
  'im.read': '已读',
  'im.failed': '发送失败',
  'im.older': '加载更早的消息',
  'im.no-older': '没有更早的消息了',
  'im.kicked': '即时通讯已在另一个窗口打开。',
  'im.take-over': '在这里继续',
  'im.auth-failed': '即时通讯登录失败：{message}',
  'im.group-members': '{n} 人',
  'im.state.closed': '未连接',
  'im.state.connecting': '正在连接…',
  'im.state.online': '在线',
  'im.state.reconnecting': '正在重连…',
  'error.generic': '出错了：{message}',
  'error.ERR_DEMO_EMPTY_STROKE': '一笔至少要有两个点：画一条线，而不是一个点。',
  'error.ERR_DEMO_STROKE_TOO_LARGE': '这一笔太长了，最多 5000 个点。',
  'error.ERR_DEMO_BAD_STROKE': '这一笔的数据不对：{message}',
  'error.ERR_DEMO_BAD_INPUT': '输入不对：{message}',
  'error.ERR_DEMO_NOT_FOUND': '找不到这幅画（可能已被删除）。',
  'error.ERR_DEMO_LIMIT': '画太多了，每人最多 500 幅。',
  'error.ERR_DEMO_INTERNAL': '服务器出错了，请稍后再试。',
  'error.network': '无法连接服务器，请检查网络。',
  'error.name': '昵称需要 1–20 个字，不能有控制字符。',
};

type Key = keyof typeof zh;

const en: Record<Key, string> = {
  'app.name': 'Hutong demos',
  'nav.home': 'Home',
  'nav.chat': 'Chat room',
  'nav.doodle': 'One stroke',
  'nav.im': 'IM',
  'nav.admin': 'Dashboard',
  'lang.switch': '中文',
  'me.loading': 'Signing in…',
  'me.you': 'You are',
  'me.failed': 'Sign-in failed: {message}',
  'me.default-name': 'User {id}',
  'session.renewed': 'Your session had expired; you are signed in again.',
  'net.offline': 'You are offline. The page reconnects when the network is back.',
  'net.online': 'Back online.',
  'home.title': 'A WeChat mini program backend, live',
  'home.lead':
    'Two browser windows (say, a normal and a private one) are two users. The WeChat simulator stands in for the phone’s login.',
  'home.name': 'Your name',
  'home.save': 'Save',
  'home.saved': 'Name saved.',
  'home.chat': 'The Wafer chat room: who is here, speak, leave; reconnects by itself.',
  'home.doodle': 'Draw a picture in one stroke, save it, and replay it when you come back.',
  'home.im': 'One-to-one and group chat with delivered and read ticks, offline messages and history.',
  'home.admin': 'Live connections, message and login rates per node, and recent errors (admin token).',
  'home.open': 'Open',
  'chat.members': '{n} here',
  'chat.placeholder': 'Say something…',
  'chat.send': 'Send',
  'chat.leave': 'Leave',
  'chat.enter': 'Enter again',
  'chat.entered': '{name} entered',
  'chat.left': '{name} left',
  'chat.you-left': 'You left the room.',
  'chat.empty': 'Nobody has said anything yet.',
  'chat.too-long': 'A message is at most 2,000 characters.',
  'state.connecting': 'Connecting…',
  'state.active': 'Connected',
  'state.reconnecting': 'Connection lost, reconnecting…',
  'state.closed': 'Not connected',
  'state.resumed': 'Reconnected; nothing was missed.',
  'state.renewed': 'Reconnected on a new connection; messages sent meanwhile may be missed.',
  'state.failed': 'Could not connect: {message}',
  'doodle.hint': 'Hold the mouse (or a finger) down and draw one stroke; letting go finishes the picture.',
  'doodle.title': 'Title (optional)',
  'doodle.save': 'Save',
  'doodle.clear': 'Clear',
  'doodle.points': '{n} / {max} points',
  'doodle.saved': 'Saved.',
  'doodle.mine': 'My drawings',
  'doodle.none': 'No drawings yet. Draw a stroke and save it.',
  'doodle.replay': 'Replay',
  'doodle.delete': 'Delete',
  'doodle.confirm-delete': 'Delete “{title}”?',
  'doodle.deleted': 'Deleted.',
  'doodle.untitled': 'Untitled',
  'doodle.replaying': 'Replaying “{title}”',
  'doodle.replayed': 'Replayed: “{title}”',
  'doodle.damaged': 'This drawing is damaged and cannot be replayed.',
  'doodle.too-long-now': 'This stroke is too long (at most {max} points); recording stopped.',
  'doodle.dialect.wafer': 'Use the original 一笔到底 routes (weapp-session)',
  'doodle.dialect.weapp-session':
    'On the original 一笔到底 routes (weapp-session), shared with the original mini program.',
  'doodle.dialect.back': 'Back to Hutong’s routes',
  'im.contacts': 'Contacts',
  'im.groups': 'Groups',
  'im.no-contacts': 'No other users yet. Have the user in another window choose a name first.',
  'im.new-group': 'New group',
  'im.group-name': 'Group name',
  'im.create': 'Create',
  'im.pick': 'Pick a contact or a group to start chatting.',
  'im.placeholder': 'Type a message…',
  'im.send': 'Send',
  'im.sending': 'sending',
  'im.accepted': 'sent',
  'im.delivered': 'delivered',
  'im.read': 'read',
  'im.failed': 'failed',
  'im.older': 'Load older messages',
  'im.no-older': 'No older messages',
  'im.kicked': 'IM is open in another window.',
  'im.take-over': 'Continue here',
  'im.auth-failed': 'IM sign-in failed: {message}',
  'im.group-members': '{n} members',
  'im.state.closed': 'Offline',
  'im.state.connecting': 'Connecting…',
  'im.state.online': 'Online',
  'im.state.reconnecting': 'Reconnecting…',
  'error.generic': 'Something went wrong: {message}',
  'error.ERR_DEMO_EMPTY_STROKE': 'A stroke needs at least two points: draw a line, not a dot.',
  'error.ERR_DEMO_STROKE_TOO_LARGE': 'This stroke is too long: at most 5,000 points.',
  'error.ERR_DEMO_BAD_STROKE': 'This stroke’s data is not right: {message}',
  'error.ERR_DEMO_BAD_INPUT': 'That input is not right: {message}',
  'error.ERR_DEMO_NOT_FOUND': 'No such drawing (it may have been deleted).',
  'error.ERR_DEMO_LIMIT': 'Too many drawings: at most 500 each.',
  'error.ERR_DEMO_INTERNAL': 'The server had a problem; try again later.',
  'error.network': 'Cannot reach the server; check the network.',
  'error.name': 'A name is 1–20 characters, without control characters.',
};

export type Lang = 'zh' | 'en';
const LANG_KEY = 'hutong_demo_lang';

function initial(): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === 'zh' || saved === 'en') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export const lang: Lang = initial();
const table: Record<Key, string> = lang === 'zh' ? zh : en;

/** The text for `key`, with `{name}` placeholders filled in. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  return table[key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ''));
}

export const hasKey = (key: string): key is Key => key in zh;

/** Fills every `[data-i18n]` element's text, and `[data-i18n-placeholder]` placeholders. */
export function applyI18n(root: ParentNode = document): void {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const key = el.dataset['i18n'] ?? '';
    if (hasKey(key)) el.textContent = t(key);
  }
  for (const el of root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) {
    const key = el.dataset['i18nPlaceholder'] ?? '';
    if (hasKey(key)) el.placeholder = t(key);
  }
}

export function switchLang(): void {
  localStorage.setItem(LANG_KEY, lang === 'zh' ? 'en' : 'zh');
  location.reload();
}

/**
 * A name to show: the server's default for a user who has not chosen one (用户 and the end of the
 * openid, `defaultName` in apps/demos/src/routes.ts) in the page's language; any other as it is.
 */
export function displayName(nickName: string, openId?: string): string {
  const match = /^用户 (\S{4})$/.exec(nickName);
  if (!match || (openId !== undefined && openId.slice(-4) !== match[1])) return nickName;
  return t('me.default-name', { id: match[1]! });
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}
