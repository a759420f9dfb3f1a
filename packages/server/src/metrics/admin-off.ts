/**
 * `/admin/` on a server with no admin token. The dashboard does not exist then (no open admin
 * endpoint), but a browser that asks for it (`Accept: text/html`) gets a page saying how to turn
 * it on rather than a bare JSON 404. Any other client keeps the JSON 404 (ERR_NOT_FOUND), as for
 * every unknown path.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

const TITLE = '仪表盘没有打开 · The dashboard is off';

/** Static: it names settings, never a value of this server's configuration. */
const PAGE =
  `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${TITLE}</title>` +
  '<style>body{font:16px/1.6 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}' +
  'code{background:#f3f3f3;padding:0 .3em}</style></head><body>' +
  `<h1>${TITLE}</h1>` +
  '<p>这个服务器没有配置管理令牌，所以仪表盘、<code>/metrics</code> 和 <code>/admin/api/stats</code> 都不存在。' +
  '设置 <code>HUTONG_ADMIN_TOKEN</code>（或配置文件的 <code>adminToken</code> / <code>adminTokenFile</code>，' +
  '至少 16 个字符，可用 <code>npx hutong config secret</code> 生成）并重启，然后打开 <code>/admin/</code> 输入令牌。</p>' +
  '<p lang="en">This server has no admin token, so the dashboard, <code>/metrics</code> and ' +
  '<code>/admin/api/stats</code> do not exist. Set <code>HUTONG_ADMIN_TOKEN</code> (or the config ' +
  "file's <code>adminToken</code> / <code>adminTokenFile</code>; 16 characters or more, " +
  '<code>npx hutong config secret</code> makes one) and restart, then open <code>/admin/</code> ' +
  'and enter the token.</p></body></html>\n';

const answer = async (request: FastifyRequest, reply: FastifyReply) => {
  if (!/\btext\/html\b/.test(request.headers.accept ?? '')) return reply.callNotFound();
  return reply.code(404).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(PAGE);
};

export const adminOffRoutes: FastifyPluginAsync = async (app) => {
  app.get('/admin', answer);
  app.get('/admin/', answer);
};
