/** Wafer tunnel API signatures (Node only): `sha1(data + key)`, hex, checked in constant time. */
import { createHash } from 'node:crypto';
import { safeEqual } from './wechat-crypto.js';

export function tunnelSignature(data: string, key: string): string {
  return createHash('sha1')
    .update(data + key, 'utf8')
    .digest('hex');
}

export function checkTunnelSignature(data: string, signature: string, key: string): boolean {
  return safeEqual(tunnelSignature(data, key), signature.toLowerCase());
}
