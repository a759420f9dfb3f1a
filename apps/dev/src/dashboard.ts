/**
 * The dashboard (`/admin/`) as a browser reaches it on the dev stack. The page itself asks for the
 * admin token and keeps it in the tab's sessionStorage (`packages/server/admin/main.ts`); here:
 *
 * - `/admin/?token=<token>`, the link the banner prints: the right token is put where the page
 *   looks for it and the tab moves on to `/admin/` (the token leaves the address bar); a wrong one
 *   is a page saying where the current link is. The request log redacts `token=` values.
 * Without a token the server's own page says how to turn the dashboard on (metrics/admin-off.ts).
 */
import { safeEqual } from '@hutong/protocol/wechat-crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where the dashboard page keeps the token (its `TOKEN_KEY`). */
const PAGE_TOKEN_KEY = 'hutong_admin_token';

/** `/admin/?token=<token>` on `baseUrl`. */
export const dashboardUrl = (baseUrl: string, token: string) =>
  `${baseUrl}/admin/?token=${encodeURIComponent(token)}`;

function page(reply: FastifyReply, status: number, title: string, body: string, head = '') {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${title}</title>${head}` +
        '<style>body{font:16px/1.6 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}' +
        'code{background:#f3f3f3;padding:0 .3em}</style></head>' +
        `<body><h1>${title}</h1>${body}</body></html>\n`,
    );
}

const HOW_TO_OPEN =
  '<p>打开 <code>npm start</code> 启动时打印的仪表盘链接（<code>/admin/?token=…</code>）；令牌每次启动随机生成，' +
  '想固定一个就设置 <code>HUTONG_ADMIN_TOKEN</code>（至少 16 个字符）。</p>' +
  '<p lang="en">Open the dashboard link <code>npm start</code> printed when it started ' +
  '(<code>/admin/?token=…</code>). The token is random on every start; set ' +
  '<code>HUTONG_ADMIN_TOKEN</code> (16 characters or more) to keep one.</p>';

/** Answers the banner's link: `/admin/?token=` opens the dashboard in this tab. */
export function dashboardLink(app: FastifyInstance, token: string): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || !request.url.startsWith('/admin/?')) return;
    const given = new URLSearchParams(request.url.slice('/admin/?'.length)).get('token');
    if (given === null) return;
    if (!safeEqual(given, token)) {
      return page(reply, 403, '仪表盘令牌不对 · Wrong dashboard token', HOW_TO_OPEN);
    }
    // JSON inside a script: `<` escaped so that no value can close the element.
    const value = JSON.stringify(token).replaceAll('<', '\\u003c');
    const script =
      `<script>sessionStorage.setItem(${JSON.stringify(PAGE_TOKEN_KEY)}, ${value});` +
      `location.replace('/admin/');</script>`;
    return page(
      reply,
      200,
      '仪表盘 · Dashboard',
      '<p><a href="/admin/">打开仪表盘 · Open the dashboard</a></p>',
      script,
    );
  });
}
