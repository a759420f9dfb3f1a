/**
 * The dashboard: every two seconds `/admin/api/stats` (the same counters `/metrics` exports), shown
 * as cluster totals, message and login rates over the last minutes, a row per node and the
 * latest errors. The admin token is asked for once and kept in sessionStorage for this tab.
 */
import type { ClusterStats, HistoryPoint } from '../src/metrics/stats-view.js';
import { lineChart, type Series } from './chart.js';

const TEXT = {
  zh: {
    title: '仪表盘',
    tokenTitle: '管理令牌',
    tokenHelp: '输入服务器配置的 HUTONG_ADMIN_TOKEN。令牌只保存在这个标签页里。',
    signIn: '进入',
    signOut: '退出',
    wrongToken: '令牌不对。',
    unreachable: '无法连接服务器，正在重试…',
    loading: '加载中…',
    updated: '更新于 {time}',
    messageRates: '消息速率（条/秒）',
    loginRates: '登录速率（次/分钟）',
    nodes: '节点',
    errors: '最近的错误',
    noErrors: '没有错误。',
    node: '节点',
    tunnels: '信道',
    sockets: '连接',
    rooms: '房间',
    imUsers: 'IM 用户',
    imDevices: 'IM 设备',
    time: '时间',
    code: '代码',
    source: '来源',
    message: '信息',
    tunnelIn: '信道收',
    tunnelOut: '信道发',
    imAccepted: 'IM 接收',
    imDelivered: 'IM 送达',
    loginsOk: '登录成功',
    loginsFailed: '登录失败',
    chartStart: '{n} 分钟前',
    chartNow: '现在',
    lang: 'English',
  },
  en: {
    title: 'Dashboard',
    tokenTitle: 'Admin token',
    tokenHelp: 'Enter the HUTONG_ADMIN_TOKEN the server is configured with. It is kept in this tab only.',
    signIn: 'Sign in',
    signOut: 'Sign out',
    wrongToken: 'That token is not right.',
    unreachable: 'Cannot reach the server; retrying…',
    loading: 'Loading…',
    updated: 'Updated {time}',
    messageRates: 'Messages per second',
    loginRates: 'Logins per minute',
    nodes: 'Nodes',
    errors: 'Recent errors',
    noErrors: 'No errors.',
    node: 'Node',
    tunnels: 'Tunnels',
    sockets: 'Sockets',
    rooms: 'Rooms',
    imUsers: 'IM users',
    imDevices: 'IM devices',
    time: 'Time',
    code: 'Code',
    source: 'Source',
    message: 'Message',
    tunnelIn: 'Tunnel in',
    tunnelOut: 'Tunnel out',
    imAccepted: 'IM accepted',
    imDelivered: 'IM delivered',
    loginsOk: 'Logins ok',
    loginsFailed: 'Logins failed',
    chartStart: '-{n}m',
    chartNow: 'now',
    lang: '中文',
  },
};
type Key = keyof (typeof TEXT)['zh'];
const LANG_KEY = 'hutong_demo_lang';
const saved = localStorage.getItem(LANG_KEY);
const lang: 'zh' | 'en' =
  saved === 'zh' || saved === 'en' ? saved : navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
const t = (key: Key, params: Record<string, string> = {}) =>
  TEXT[lang][key].replace(/\{(\w+)\}/g, (_, k: string) => params[k] ?? '');

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const TOKEN_KEY = 'hutong_admin_token';
const WINDOW_MS = 10 * 60_000;
/** The time axis' two ends, in the page's language. */
const AXIS = { start: t('chartStart', { n: String(WINDOW_MS / 60_000) }), now: t('chartNow') };

function cell(tag: 'td' | 'th', text: string | number, className?: string): HTMLTableCellElement {
  const el = document.createElement(tag);
  el.textContent = String(text);
  if (className) el.className = className;
  return el;
}

function row(cells: HTMLTableCellElement[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.append(...cells);
  return tr;
}

function banner(text: string | null, error = false): void {
  const el = $('banner');
  el.hidden = text === null;
  el.className = error ? 'banner error' : 'banner';
  el.textContent = text ?? '';
}

/** Per-second rates of the counters `keys`, summed over nodes, bucketed by sample interval. */
function rates(
  stats: ClusterStats,
  keys: (keyof HistoryPoint)[],
  perMs: number,
): Map<string, [number, number][]> {
  const buckets = new Map<string, Map<number, number>>(keys.map((k) => [k, new Map()]));
  for (const node of stats.nodes) {
    for (let i = 1; i < node.history.length; i++) {
      const a = node.history[i - 1]!;
      const b = node.history[i]!;
      const dt = b.at - a.at;
      if (dt <= 0) continue;
      const bucket = Math.round(b.at / stats.intervalMs) * stats.intervalMs;
      for (const key of keys) {
        const rate = (Math.max(0, b[key] - a[key]) / dt) * perMs;
        const map = buckets.get(key)!;
        map.set(bucket, (map.get(bucket) ?? 0) + rate);
      }
    }
  }
  return new Map([...buckets].map(([k, m]) => [k, [...m].sort((a, b) => a[0] - b[0])]));
}

function render(stats: ClusterStats): void {
  const sum = (key: 'tunnels' | 'sockets' | 'rooms' | 'imUsers' | 'imDevices') =>
    stats.nodes.reduce((total, n) => total + n[key], 0);
  const card = (key: Key, value: number) => {
    const el = document.createElement('div');
    el.className = 'card';
    el.dataset['metric'] = key;
    const number = document.createElement('div');
    number.className = 'value';
    number.textContent = String(value);
    const label = document.createElement('div');
    label.className = 'label';
    label.textContent = t(key);
    el.append(number, label);
    return el;
  };
  $('totals').replaceChildren(
    ...(['sockets', 'tunnels', 'rooms', 'imUsers', 'imDevices'] as const).map((key) => card(key, sum(key))),
    card('nodes', stats.nodes.length),
  );

  const colors = ['#1f6feb', '#8250df', '#07c160', '#bf8700'];
  const messageKeys = ['tunnelIn', 'tunnelOut', 'imAccepted', 'imDelivered'] as const;
  const messageRates = rates(stats, [...messageKeys], 1000);
  const messageSeries: Series[] = messageKeys.map((key, i) => ({
    name: t(key),
    color: colors[i]!,
    points: messageRates.get(key) ?? [],
  }));
  lineChart($('chart-messages'), messageSeries, WINDOW_MS, stats.at, AXIS);
  const loginRates = rates(stats, ['loginsOk', 'loginsFailed'], 60_000);
  lineChart(
    $('chart-logins'),
    [
      { name: t('loginsOk'), color: '#07c160', points: loginRates.get('loginsOk') ?? [] },
      { name: t('loginsFailed'), color: '#cf222e', points: loginRates.get('loginsFailed') ?? [] },
    ],
    WINDOW_MS,
    stats.at,
    AXIS,
  );

  const columns = [
    'tunnels',
    'sockets',
    'rooms',
    'imUsers',
    'imDevices',
    'loginsOk',
    'loginsFailed',
  ] as const;
  $('nodes').replaceChildren(
    row([cell('th', t('node')), ...columns.map((c) => cell('th', t(c), 'num'))]),
    ...stats.nodes.map((n) => {
      const tr = row([
        cell('td', n.node + (n.node === stats.node ? ' ★' : '')),
        ...columns.map((c) => cell('td', n[c], 'num')),
      ]);
      tr.dataset['node'] = n.node;
      return tr;
    }),
  );

  const errors = $('errors');
  if (stats.recentErrors.length === 0) {
    errors.replaceChildren(row([cell('td', t('noErrors'), 'muted')]));
  } else {
    errors.replaceChildren(
      row([
        cell('th', t('time')),
        cell('th', t('node')),
        cell('th', t('code')),
        cell('th', t('source')),
        cell('th', t('message')),
      ]),
      ...stats.recentErrors.map((e) => {
        const code = cell('td', '');
        const tag = document.createElement('code');
        tag.textContent = e.code;
        code.append(tag);
        return row([
          cell('td', new Date(e.at).toLocaleTimeString()),
          cell('td', e.node),
          code,
          cell('td', e.source),
          cell('td', e.message),
        ]);
      }),
    );
  }
  $('updated').textContent = t('updated', { time: new Date(stats.at).toLocaleTimeString() });
  document.body.dataset['updated'] = String(stats.at);
}

let timer: number | undefined;

async function poll(): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return showLogin();
  try {
    const response = await fetch('/admin/api/stats', { headers: { authorization: `Bearer ${token}` } });
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showLogin(t('wrongToken'));
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    banner(null);
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('sign-out').hidden = false;
    render((await response.json()) as ClusterStats);
  } catch {
    banner(t('unreachable'), true);
  }
  timer = window.setTimeout(() => void poll(), 2000);
}

function showLogin(error = ''): void {
  window.clearTimeout(timer);
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = error;
  $<HTMLInputElement>('token').focus();
}

document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]'))
  el.textContent = t(el.dataset['i18n'] as Key);
$('lang').textContent = t('lang');
$('lang').addEventListener('click', () => {
  localStorage.setItem(LANG_KEY, lang === 'zh' ? 'en' : 'zh');
  location.reload();
});
$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin();
});
$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $<HTMLInputElement>('token').value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $<HTMLInputElement>('token').value = '';
  $('updated').textContent = t('loading');
  void poll();
});
void poll();
