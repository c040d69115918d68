import { BlockList, isIP } from 'node:net';

// The key a client's per-address rate limit is counted under. IPv4 addresses count one by
// one; IPv6 addresses by their /64, the block one subscriber line gets (a single host can
// hold 2^64 addresses, so counting them one by one would limit nothing). An IPv4 address
// mapped into IPv6 (a dual-stack listener) counts as the IPv4 address.
//
// Behind a load balancer every request comes from the balancer: list it in
// MSGXC_TRUSTED_PROXIES, and the client is then the right-most X-Forwarded-For entry that is
// not itself a trusted proxy (the entries left of it are whatever the client sent).
export interface ClientAddresses {
  /** `peer` is uWS's getRemoteAddress() (4 or 16 bytes); `forwardedFor` is read only for a trusted peer. */
  keyOf(peer: ArrayBuffer, forwardedFor: () => string): string;
  readonly trustsProxies: boolean;
}

const hex = (b: Uint8Array, from: number, to: number): string => {
  let s = '';
  for (let i = from; i < to; i += 2)
    s += `${i > from ? ':' : ''}${(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16)}`;
  return s;
};

const isMappedV4 = (b: Uint8Array): boolean => {
  for (let i = 0; i < 10; i += 1) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
};

/** The rate-limit key of an address given as bytes. */
export const keyOfBytes = (b: Uint8Array): string => {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length === 16 && isMappedV4(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return `${hex(b, 0, 8)}::/64`;
};

/** The bytes of a textual address (undefined when it is not one). */
export const parseAddress = (text: string): Uint8Array | undefined => {
  const family = isIP(text);
  if (family === 4) return Uint8Array.from(text.split('.').map(Number));
  if (family !== 6) return undefined;
  // A trailing dotted quad (::ffff:1.2.3.4) is the last two groups.
  const v4 = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const [a, b, c, d] = (v4?.slice(2) ?? []).map(Number);
  const body =
    v4 === null
      ? text
      : `${v4[1] ?? ''}${(((a ?? 0) << 8) | (b ?? 0)).toString(16)}:${(((c ?? 0) << 8) | (d ?? 0)).toString(16)}`;
  const [head = '', tail] = body.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  return bytes;
};

const textOf = (b: Uint8Array): { address: string; family: 'ipv4' | 'ipv6' } =>
  b.length === 4 || (b.length === 16 && isMappedV4(b))
    ? { address: keyOfBytes(b), family: 'ipv4' }
    : { address: hex(b, 0, 16), family: 'ipv6' };

export const createClientAddresses = (trustedProxies: readonly string[]): ClientAddresses => {
  if (trustedProxies.length === 0) return { keyOf: (peer) => keyOfBytes(new Uint8Array(peer)), trustsProxies: false };
  const trusted = new BlockList();
  for (const p of trustedProxies) {
    const [address = '', bits] = p.split('/');
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, Number(bits), type);
  }
  const isTrusted = (b: Uint8Array): boolean => {
    const { address, family } = textOf(b);
    return trusted.check(address, family);
  };
  return {
    trustsProxies: true,
    keyOf: (peer, forwardedFor) => {
      const bytes = new Uint8Array(peer);
      if (!isTrusted(bytes)) return keyOfBytes(bytes);
      const hops = forwardedFor().split(',');
      for (let i = hops.length - 1; i >= 0; i -= 1) {
        const hop = parseAddress((hops[i] ?? '').trim());
        // A malformed entry was not written by a proxy we trust: stop at the proxy itself.
        if (hop === undefined) return keyOfBytes(bytes);
        if (!isTrusted(hop)) return keyOfBytes(hop);
      }
      return keyOfBytes(bytes);
    },
  };
};
