/**
 * Where the server listens and what it tells clients: the trusted proxies compiled now (a start
 * must never fail on what `hutong config check` passed), the advertised public URL, and warnings
 * for plain HTTP where clients can reach it.
 */
import { isIP } from 'node:net';
import { addressList } from '../http/address-list.js';
import type { EnvReader } from './env-reader.js';
import { checkUrl } from './urls.js';

/** proxy-addr's names for address ranges, which Fastify's `trustProxy` accepts beside addresses. */
export const proxyKeywords = ['loopback', 'linklocal', 'uniquelocal'] as const;

/**
 * HUTONG_TRUST_PROXY: addresses, CIDR ranges and proxy-addr keywords, as Fastify will compile
 * them. A range of every address (`0.0.0.0/0`, `::/0`) is refused: it lets any client forge
 * X-Forwarded-For and so its own address for the rate limits.
 */
export function trustProxy(r: EnvReader, key: string): string | undefined {
  const entries = r.entries(key);
  if (entries === undefined) return undefined;
  if (entries.length === 0) return r.fail(key, 'expected proxy addresses separated by commas');
  const bad: string[] = [];
  for (const entry of entries) {
    if ((proxyKeywords as readonly string[]).includes(entry)) continue;
    try {
      addressList([entry]);
    } catch {
      bad.push(`"${entry}" is not an IP address, CIDR range or ${proxyKeywords.join('/')}`);
      continue;
    }
    if (/\/0$/.test(entry))
      bad.push(`"${entry}" trusts every address, so any client could forge X-Forwarded-For`);
  }
  if (bad.length > 0) return r.fail(key, `${bad.join('; ')} (list your proxies' addresses)`);
  return entries.join(',');
}

const wildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '[::]';

/** Whether `host` is this machine only: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

/**
 * The URL clients are given. Unset, it is `http(s)://host:port`; a wildcard host (0.0.0.0, ::)
 * is no address a client can use, so then it is the loopback address, with a warning. Set, it
 * must be http(s) with a host, and https when this server terminates TLS.
 */
export function publicUrl(r: EnvReader, host: string, port: number, tlsOn: boolean): string {
  const key = 'HUTONG_PUBLIC_URL';
  const scheme = tlsOn ? 'https' : 'http';
  const given = r.read(key);
  if (given === undefined) {
    let advertised = host;
    if (wildcard(host)) {
      advertised = host === '0.0.0.0' ? '127.0.0.1' : '::1';
      r.warn(
        key,
        `unset while HOST is ${host}: clients are told ${scheme}://${advertised.includes(':') ? `[${advertised}]` : advertised}:${port}, which works on this machine only; set it to the URL clients use`,
      );
    }
    const name = advertised.includes(':') && !advertised.startsWith('[') ? `[${advertised}]` : advertised;
    return `${scheme}://${name}:${port}`;
  }
  const url = checkUrl(r, key, given, 'http');
  if (url === undefined) return given.replace(/\/+$/, '');
  if (tlsOn && !/^https:/i.test(url))
    r.fail(key, `is "${url}" but TLS is on (HUTONG_TLS_CERT): clients reach this server at https://…`);
  return url.replace(/\/+$/, '');
}

/** Plain HTTP listening beyond this machine: WeChat needs HTTPS, and tokens would cross in clear. */
export function warnPlainHttp(r: EnvReader, host: string, tlsOn: boolean): void {
  if (tlsOn || isLoopback(host)) return;
  r.warn(
    'HOST',
    `${host} serves plain HTTP beyond this machine: mini programs need HTTPS, so put a TLS proxy in front (and set HUTONG_TRUST_PROXY) or set HUTONG_TLS_CERT and HUTONG_TLS_KEY`,
  );
}
