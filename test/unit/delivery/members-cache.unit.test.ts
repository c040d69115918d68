import { describe, expect, it } from 'vitest';
import { MembersCache } from '../../../delivery/members-cache.js';

// The cache in front of the directory's member pages (delivery/members-cache.ts): every page it
// answers must be the page the directory answers (`uid > after ORDER BY uid LIMIT n`), and a
// member joining or leaving a thread sends the next read for that thread back to the directory.
const directory = () => {
  const threads = new Map<string, Set<string>>();
  const asked: string[] = [];
  const read = (tid: string, after: string, limit: number): Promise<readonly string[]> => {
    asked.push(`${tid}>${after}#${String(limit)}`);
    const all = [...(threads.get(tid) ?? [])].sort();
    return Promise.resolve(all.filter((u) => u > after).slice(0, limit));
  };
  const join = (tid: string, ...uids: string[]): void => {
    const s = threads.get(tid) ?? new Set<string>();
    for (const u of uids) s.add(u);
    threads.set(tid, s);
  };
  return { threads, asked, read, join };
};

// Every page of `tid` from the start, `size` at a time, as triage walks them.
const walk = async (
  read: (tid: string, after: string, limit: number) => Promise<readonly string[]>,
  tid: string,
  size: number,
): Promise<(readonly string[])[]> => {
  const pages: (readonly string[])[] = [];
  for (let after = ''; ; ) {
    const rows = await read(tid, after, size + 1);
    pages.push(rows.slice(0, size));
    if (rows.length <= size) return pages;
    after = rows[size - 1] ?? '';
  }
};

describe('the thread members cache', () => {
  it('answers every page as the directory does, reading a thread once until its members change', async () => {
    const d = directory();
    const uids = Array.from({ length: 23 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    d.join('t1', ...uids.reverse());
    d.join('t2', 'x', 'a.b', 'A', '9', 'a-b', 'a_b');
    const cache = new MembersCache();
    const cached = (tid: string, after: string, limit: number) => cache.members(tid, after, limit, d.read);
    for (const tid of ['t1', 't2', 'none'])
      for (const size of [1, 2, 5, 22, 23, 50])
        expect(await walk(cached, tid, size)).toEqual(await walk(d.read, tid, size));
    // A page from the middle, after a uid that is not a member.
    expect(await cached('t1', 'u05x', 3)).toEqual(['u06', 'u07', 'u08']);
    const before = d.asked.length;
    await walk(cached, 't1', 5);
    expect(d.asked.length).toBe(before);
    // A change elsewhere keeps t1's list; a change of t1 drops it.
    d.join('t2', 'new');
    cache.forget([{ type: 'member-joined', tid: 't2', uid: 'new' }]);
    await walk(cached, 't1', 5);
    expect(d.asked.length).toBe(before);
    d.threads.get('t1')?.delete('u03');
    cache.forget([{ type: 'member-left', tid: 't1', uid: 'u03' }]);
    expect(await walk(cached, 't1', 5)).toEqual(await walk(d.read, 't1', 5));
    expect(await walk(cached, 't2', 4)).toEqual(await walk(d.read, 't2', 4));
  });

  it('reads a thread larger than it keeps page by page, and never keeps a list a change overtook', async () => {
    const d = directory();
    d.join('big', 'a', 'b', 'c', 'd');
    const small = new MembersCache(3);
    expect(await small.members('big', 'a', 2, d.read)).toEqual(['b', 'c']);
    expect(d.asked).toEqual(['big>#4', 'big>a#2']);
    expect(await small.members('big', 'b', 2, d.read)).toEqual(['c', 'd']);
    expect(d.asked.length).toBe(4);

    // A change folded while the read was in flight: the answer stands, the list is not kept.
    const racing = directory();
    racing.join('t', 'a');
    const cache = new MembersCache();
    const slow = async (tid: string, after: string, limit: number): Promise<readonly string[]> => {
      const rows = await racing.read(tid, after, limit);
      cache.forget([{ type: 'member-joined', tid, uid: 'b' }]);
      racing.join('t', 'b');
      return rows;
    };
    expect(await cache.members('t', '', 10, slow)).toEqual(['a']);
    expect(await cache.members('t', '', 10, racing.read)).toEqual(['a', 'b']);
  });

  it('starts over past its limit over all threads', async () => {
    const d = directory();
    d.join('t1', 'a', 'b');
    d.join('t2', 'c', 'd');
    const cache = new MembersCache(10, 3);
    await cache.members('t1', '', 5, d.read);
    await cache.members('t2', '', 5, d.read);
    await cache.members('t2', '', 5, d.read);
    expect(d.asked.length).toBe(2);
    await cache.members('t1', '', 5, d.read);
    expect(d.asked.length).toBe(3);
    expect(await cache.members('t1', 'a', 5, d.read)).toEqual(['b']);
  });
});
