import { BlockList, isIP } from 'node:net';

/**
 * A set of client addresses from `10.0.0.5, 10.1.0.0/16, ::1` (addresses and CIDR ranges, IPv4
 * or IPv6). Throws a TypeError naming the first entry that is neither.
 */
export function addressList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > max))
    ) {
      throw new TypeError(`"${entry}" is not an IP address or CIDR range`);
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

/** Whether `address` (as Node reports a peer, IPv4-mapped IPv6 included) is in `list`. */
export function listed(list: BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return list.check(mapped, 'ipv4') || list.check(address, 'ipv6');
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}
