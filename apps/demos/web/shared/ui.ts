/**
 * DOM helpers for the pages. Everything a user typed reaches the page as text nodes (`h` never
 * sets HTML), so chat messages, names and titles are shown, never interpreted.
 */
import { applyI18n, switchLang, t } from './i18n.js';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** An element with attributes (`on…` are listeners) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
}

export type BannerKind = 'info' | 'ok' | 'warn' | 'error';

/** The strip under the header: connection state and problems that last. `null` hides it. */
export function banner(text: string | null, kind: BannerKind = 'info'): void {
  const el = byId('banner');
  el.hidden = text === null;
  el.className = `banner banner-${kind}`;
  el.textContent = text ?? '';
}

/** A message that goes away by itself. */
export function toast(text: string, kind: BannerKind = 'info', ms = 4000): void {
  const el = h('div', { class: `toast toast-${kind}`, role: 'status' }, text);
  byId('toasts').append(el);
  setTimeout(() => el.remove(), ms);
}

const PAGES = [
  ['/', 'nav.home'],
  ['/chat/', 'nav.chat'],
  ['/doodle/', 'nav.doodle'],
  ['/im-chat/', 'nav.im'],
  ['/admin/', 'nav.admin'],
] as const;

/** Header (navigation, who you are, language), banner and toast area, then the page's text. */
export function mountChrome(): void {
  const here = location.pathname;
  const nav = h(
    'nav',
    {},
    ...PAGES.map(([href, key]) => h('a', { href, class: here === href ? 'active' : undefined }, t(key))),
  );
  const header = h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: '/' }, 'Hutong'),
    nav,
    h('span', { class: 'me', id: 'me' }, t('me.loading')),
    h('button', { class: 'link', id: 'lang', type: 'button', onclick: () => switchLang() }, t('lang.switch')),
  );
  document.body.prepend(header, h('div', { id: 'banner', class: 'banner', hidden: true, role: 'status' }));
  document.body.append(h('div', { id: 'toasts', class: 'toasts' }));
  applyI18n();
  addEventListener('offline', () => banner(t('net.offline'), 'warn'));
  addEventListener('online', () => {
    banner(null);
    toast(t('net.online'), 'ok');
  });
  if (!navigator.onLine) banner(t('net.offline'), 'warn');
}

export function showName(name: string): void {
  const me = byId('me');
  me.replaceChildren(
    h('span', { class: 'me-label' }, `${t('me.you')} `),
    h('strong', { id: 'my-name' }, name),
  );
}
