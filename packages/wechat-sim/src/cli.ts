#!/usr/bin/env node
/**
 * Stand-alone simulator: `npm start -w @hutong/wechat-sim`. `PORT` (default 5758) and `HOST`
 * (default 127.0.0.1) pick the address; `WECHAT_SIM_APPS` adds apps as `appid:secret,…`.
 */
import { createSimServer } from './plugin.js';
import { DEFAULT_APP, type SimAppConfig } from './sim-config.js';

function appsFromEnv(text: string | undefined): SimAppConfig[] {
  const extra = (text ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const [appid = '', secret = ''] = pair.split(':');
      if (!appid || !secret) throw new Error(`WECHAT_SIM_APPS: expected appid:secret, got "${pair}"`);
      return { appid, secret };
    });
  return [DEFAULT_APP, ...extra];
}

const server = await createSimServer({
  host: process.env['HOST'] ?? '127.0.0.1',
  port: Number(process.env['PORT'] ?? 5758),
  apps: appsFromEnv(process.env['WECHAT_SIM_APPS']),
});

process.stdout.write(`WeChat simulator listening on ${server.url}\n`);
for (const app of server.apps) {
  process.stdout.write(`  appid ${app.appid}  secret ${app.secret}${app.unionid ? '  (unionid)' : ''}\n`);
}
process.stdout.write(
  `  code2session: ${server.url}/sns/jscode2session   device API: ${server.url}/sim/login\n`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
