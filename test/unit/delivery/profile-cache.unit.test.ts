import { describe, expect, it } from 'vitest';
import { ProfileCache } from '../../../delivery/profile-cache.js';
import type { Profile } from '../../../schema/delivery-state.js';

// The cache in front of the directory's profile read (delivery/profile-cache.ts): what it
// answers must be what the read answered, per thread, and a change of a user's profile sends
// the next read for them back to the directory.
const profile = (email: string | null): Profile => ({ devices: [], email, cell: null, channels: [] });

const directory = () => {
  const emails = new Map<string, string | null>();
  const asked: string[][] = [];
  const read = (uids: readonly string[], tid: string | undefined): Promise<ReadonlyMap<string, Profile>> => {
    asked.push([...uids, tid ?? '-']);
    return Promise.resolve(new Map(uids.map((u) => [u, profile(emails.get(u) ?? null)])));
  };
  return { emails, asked, read };
};

describe('the profile cache', () => {
  it('reads each user once per thread until a change of their profile is folded', async () => {
    const cache = new ProfileCache();
    const d = directory();
    d.emails.set('a', 'a@example.org');
    expect((await cache.profiles(['a', 'b'], 't1', d.read)).get('a')?.email).toBe('a@example.org');
    await cache.profiles(['a', 'b'], 't1', d.read);
    await cache.profiles(['b'], undefined, d.read);
    expect(d.asked).toEqual([
      ['a', 'b', 't1'],
      ['b', '-'],
    ]);
    d.emails.set('a', null);
    // Joining a thread says nothing about the profile; a contact change does.
    cache.forget([{ type: 'member-joined', tid: 't1', uid: 'a' }]);
    expect((await cache.profiles(['a'], 't1', d.read)).get('a')?.email).toBe('a@example.org');
    cache.forget([{ type: 'contact', uid: 'a', email: null }]);
    expect((await cache.profiles(['a', 'b'], 't1', d.read)).get('a')?.email).toBeNull();
    expect(d.asked.at(-1)).toEqual(['a', 't1']);
  });

  it('does not remember a read that a change overtook', async () => {
    const cache = new ProfileCache();
    const d = directory();
    const overtaken = (uids: readonly string[], tid: string | undefined) => {
      cache.forget([{ type: 'device-revoked', uid: 'z', deviceId: 'd', position: 9 }]);
      return d.read(uids, tid);
    };
    await cache.profiles(['a'], undefined, overtaken);
    await cache.profiles(['a'], undefined, d.read);
    expect(d.asked).toEqual([
      ['a', '-'],
      ['a', '-'],
    ]);
  });

  it('starts over past its limit instead of growing', async () => {
    const cache = new ProfileCache(3);
    const d = directory();
    await cache.profiles(['a', 'b'], undefined, d.read);
    await cache.profiles(['c', 'd'], undefined, d.read);
    await cache.profiles(['a', 'c'], undefined, d.read);
    expect(d.asked).toEqual([
      ['a', 'b', '-'],
      ['c', 'd', '-'],
      ['a', '-'],
    ]);
  });
});
