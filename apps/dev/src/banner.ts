/**
 * What `npm start` prints once the dev stack listens: where the pages are, the dashboard's link
 * with its token, and the dev tunnel signature key. Plain text on stdout, beside the logs rather
 * than in them: it is for the person at the terminal.
 */
import { devApp, devTunnelSignatureKey } from '@hutong/server';
import type { DevStack } from './stack.js';

export function devBanner(stack: DevStack): string {
  const { config } = stack.hutong;
  const { url, admin } = stack;
  const store = config.store.kind === 'sqlite' ? `SQLite (${config.store.file})` : config.store.kind;
  const broker = config.broker.kind === 'local' ? 'in-process broker' : 'Redis broker';
  const row = (label: string, value: string) => `  ${label.padEnd(22)}${value}`;
  const lines = [
    '',
    `Hutong dev stack ready: ${store}, ${broker}`,
    '',
    row('Demos', `${url}/  (chat/, doodle/, im-chat/)`),
    config.wechatApiUrl
      ? row('WeChat API', config.wechatApiUrl)
      : row('WeChat simulator', `${url}/__wx  (the phone's login: POST ${url}/__wx/sim/login)`),
    row('Dashboard', admin ? admin.url : 'off (set HUTONG_ADMIN_TOKEN)'),
  ];
  if (admin) {
    const from = admin.generated
      ? 'random for this start; set HUTONG_ADMIN_TOKEN to keep one'
      : 'from your configuration';
    lines.push(row('Admin token', `${admin.token}  (${from})`));
  }
  for (const app of config.apps)
    lines.push(row('App', app.appid === devApp.appid ? `${app.appid}  (the dev app)` : app.appid));
  // The dev key is published in Hutong's source, so printing it gives nothing away; a key of
  // one's own is a secret and stays out of the terminal.
  lines.push(
    config.tunnelSignatureKey === devTunnelSignatureKey
      ? row(
          'Tunnel signature key',
          `${devTunnelSignatureKey}  (dev only: published, refused by hutong start)`,
        )
      : row('Tunnel signature key', '(configured; not printed)'),
    '',
    `Logs follow at ${config.logLevel}${config.logLevel === 'info' ? '; HUTONG_LOG_LEVEL=debug shows every request' : ''}. Ctrl-C stops.`,
    '',
  );
  return lines.join('\n');
}
