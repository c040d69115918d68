import { describe, expect, it } from 'vitest';
import { createClientAddresses, keyOfBytes, parseAddress } from '../../../api/client-address.js';

const bytes = (text: string): ArrayBuffer => {
  const b = parseAddress(text);
  if (b === undefined) throw new Error(`not an address: ${text}`);
  return b.buffer.slice(0) as ArrayBuffer;
};
const v4 = (text: string): ArrayBuffer => Uint8Array.from(text.split('.').map(Number)).buffer;

describe('the key of a client address', () => {
  it('is the IPv4 address, also when mapped into IPv6 by a dual-stack listener', () => {
    expect(keyOfBytes(new Uint8Array(v4('127.0.0.1')))).toBe('127.0.0.1');
    expect(keyOfBytes(new Uint8Array(bytes('::ffff:10.1.2.3')))).toBe('10.1.2.3');
  });

  it('is the /64 of an IPv6 address: one host holds them all', () => {
    const a = keyOfBytes(new Uint8Array(bytes('2001:db8:1:2:aaaa::1')));
    expect(a).toBe('2001:db8:1:2::/64');
    expect(keyOfBytes(new Uint8Array(bytes('2001:db8:1:2:ffff:ffff:ffff:ffff')))).toBe(a);
    expect(keyOfBytes(new Uint8Array(bytes('2001:db8:1:3::1')))).not.toBe(a);
    expect(keyOfBytes(new Uint8Array(bytes('::1')))).toBe('0:0:0:0::/64');
  });

  it('parses every textual form, and refuses what is not an address', () => {
    expect([...(parseAddress('1::') ?? [])]).toEqual([0, 1, ...Array<number>(14).fill(0)]);
    expect([...(parseAddress('::ffff:1.2.3.4') ?? [])].slice(10)).toEqual([255, 255, 1, 2, 3, 4]);
    expect(parseAddress('1.2.3')).toBeUndefined();
    expect(parseAddress('example.com')).toBeUndefined();
  });
});

describe('X-Forwarded-For', () => {
  const xff = (value: string) => () => value;

  it('is ignored unless proxies are trusted: a client cannot name itself someone else', () => {
    const a = createClientAddresses([]);
    expect(a.keyOf(v4('203.0.113.9'), xff('1.1.1.1'))).toBe('203.0.113.9');
  });

  it('from a trusted proxy: the right-most entry that is not a trusted proxy', () => {
    const a = createClientAddresses(['10.0.0.0/8', '2001:db8::/32']);
    expect(a.keyOf(v4('10.0.0.2'), xff('6.6.6.6, 198.51.100.7'))).toBe('198.51.100.7');
    expect(a.keyOf(v4('10.0.0.2'), xff('6.6.6.6, 198.51.100.7, 10.9.9.9'))).toBe('198.51.100.7');
    expect(a.keyOf(bytes('::ffff:10.0.0.2'), xff('2001:db9::5'))).toBe('2001:db9:0:0::/64');
    expect(a.keyOf(bytes('2001:db8::1'), xff('198.51.100.7'))).toBe('198.51.100.7');
    // A peer that is not trusted: its header is whatever it wants it to be.
    expect(a.keyOf(v4('198.51.100.7'), xff('10.0.0.1'))).toBe('198.51.100.7');
  });

  it('from a trusted proxy with no usable entry: the proxy itself', () => {
    const a = createClientAddresses(['10.0.0.2']);
    expect(a.keyOf(v4('10.0.0.2'), xff(''))).toBe('10.0.0.2');
    expect(a.keyOf(v4('10.0.0.2'), xff('garbage'))).toBe('10.0.0.2');
    expect(a.keyOf(v4('10.0.0.2'), xff('10.0.0.2'))).toBe('10.0.0.2');
  });
});
