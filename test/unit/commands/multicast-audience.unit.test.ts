import { describe, expect, it } from 'vitest';
import { AUDIENCE_CHUNK, AUDIENCE_PAGE, type UserSelection } from '../../../commands/multicast-audience.js';
import { asMessageId } from '../../../schema/ids.js';
import { NOW, ctxFor, expectError, rightOf, setup, streamTypes } from './support.js';

// The command side of multicast by segment or query: the directory is paged (never asked for
// more than a page), the resolution is appended with the message, a retry resolves nothing.
const M = asMessageId('m-aud');
const hi = { msg: 'hi', opts: {} };
const admin = ctxFor('root', { admin: true });
const uid = (i: number): string => `u-${String(i).padStart(6, '0')}`;

/** A directory of `n` users, all with the tag `beta`; it records the page sizes asked. */
const directory = (n: number) => {
  const limits: number[] = [];
  let users = Array.from({ length: n }, (_, i) => uid(i));
  const selection: UserSelection = {
    selectUsers: (_q, page) => {
      limits.push(page.limit);
      const from = page.after === undefined ? 0 : users.findIndex((u) => u > (page.after ?? ''));
      return Promise.resolve(from < 0 ? [] : users.slice(from, from + page.limit));
    },
  };
  return { selection, limits, replace: (n2: number) => (users = Array.from({ length: n2 }, (_, i) => uid(i))) };
};

describe('multicast to a segment or query', () => {
  it('pages the directory and appends AudienceResolved with the message, in one append', async () => {
    const { memory, commands } = setup();
    const seg = asMessageId('seg-1');
    rightOf(await commands.defineSegment(admin, seg, 'Beta', { tag: 'beta' }));
    const d = directory(2_345);
    rightOf(await commands.multicastAudience(admin, M, { segment: seg }, hi, d.selection));
    expect(d.limits.every((l) => l <= AUDIENCE_PAGE)).toBe(true);
    expect(d.limits.length).toBe(3);
    const events = await memory.read('message-m-aud');
    expect(events.map((e) => e.type)).toEqual(['AudienceResolved', 'MessagePublished']);
    expect(events[0]?.data).toMatchObject({
      count: 2_345,
      source: { segment: seg, name: 'Beta', query: { tag: 'beta' } },
    });
    const published = events[1]?.data as { audience: { uids: string[] } };
    expect(published.audience.uids).toEqual(Array.from({ length: 2_345 }, (_, i) => uid(i)));
    // Both in one append: consecutive positions, one append call's metadata.
    expect((events[1]?.position ?? 0) - (events[0]?.position ?? 0)).toBe(1);
  });

  it('a retry under the same mid resolves nothing again, even when the directory changed', async () => {
    const { memory, commands } = setup();
    const d = directory(10);
    const first = rightOf(await commands.multicastAudience(admin, M, { query: { tag: 'beta' } }, hi, d.selection));
    d.replace(20);
    const asked = d.limits.length;
    const retry = rightOf(await commands.multicastAudience(admin, M, { query: { tag: 'beta' } }, hi, d.selection));
    expect(retry).toEqual(first);
    expect(d.limits.length).toBe(asked);
    expect(await streamTypes(memory, 'message-m-aud')).toEqual(['AudienceResolved', 'MessagePublished']);
  });

  it('refuses an unknown segment, an empty and a too large audience, naming the field', async () => {
    const { commands } = setup();
    const unknown = await commands.multicastAudience(
      admin,
      M,
      { segment: asMessageId('nope') },
      hi,
      directory(3).selection,
    );
    expectError(unknown, 'not_found', 'SegmentNotFound');
    expect(JSON.stringify(unknown)).toContain('segment: no segment nope');
    const empty = await commands.multicastAudience(admin, M, { query: { tag: 'x' } }, hi, directory(0).selection);
    expectError(empty, 'unprocessable', 'AudienceIsEmpty');
    expect(JSON.stringify(empty)).toContain('query: selects no users');
  });

  // Deliberately changed (issue 13, audiences over 10,000): a large audience is no longer
  // refused as AudienceIsTooLarge; it is stored in parts (AudienceChunk) before the message.
  it('stores an audience over 10,000 in ordered parts of at most 2,000 uids, the message last', async () => {
    const { memory, commands } = setup();
    const big = directory(10_050);
    rightOf(await commands.multicastAudience(admin, M, { query: { tag: 'x' } }, hi, big.selection));
    expect(big.limits.every((l) => l <= AUDIENCE_PAGE)).toBe(true);
    const parts = await memory.read('audience-m-aud');
    expect(parts.map((e) => e.type)).toEqual(Array(6).fill('AudienceChunk'));
    const uids = parts.flatMap((e) => (e.data as { uids: string[] }).uids);
    expect(parts.map((e) => (e.data as { uids: string[] }).uids.length)).toEqual([2000, 2000, 2000, 2000, 2000, 50]);
    expect(parts.every((e) => (e.data as { uids: string[] }).uids.length <= AUDIENCE_CHUNK)).toBe(true);
    expect(uids).toEqual(Array.from({ length: 10_050 }, (_, i) => uid(i)));
    const events = await memory.read('message-m-aud');
    expect(events.map((e) => e.type)).toEqual(['AudienceResolved', 'MessagePublished']);
    expect(events[0]?.data).toMatchObject({ count: 10_050 });
    expect(events[1]?.data).toMatchObject({ audience: { kind: 'chunked', count: 10_050, chunks: 6 } });
    // Every part is in the log before the message: it is live only once the last is.
    expect(Math.max(...parts.map((e) => e.position))).toBeLessThan(events[0]?.position ?? 0);
  });

  it('a resolution cut short resumes after the last stored part, each user once', async () => {
    const { memory, commands } = setup();
    const d = directory(25_000);
    let pages = 0;
    const failing: UserSelection = {
      selectUsers: (q, page) =>
        ++pages === 15 ? Promise.reject(new Error('search down')) : d.selection.selectUsers(q, page),
    };
    expectError(
      await commands.multicastAudience(admin, M, { query: { tag: 'x' } }, hi, failing),
      'unavailable',
      'FailedToAppend',
    );
    expect(await streamTypes(memory, 'message-m-aud')).toEqual([]);
    const stored = (await memory.read('audience-m-aud')).length;
    expect(stored).toBeGreaterThan(0);
    rightOf(await commands.multicastAudience(admin, M, { query: { tag: 'x' } }, hi, d.selection));
    const uids = (await memory.read('audience-m-aud')).flatMap((e) => (e.data as { uids: string[] }).uids);
    expect(uids).toEqual(Array.from({ length: 25_000 }, (_, i) => uid(i)));
    const published = (await memory.read('message-m-aud'))[1]?.data;
    expect(published).toMatchObject({ audience: { kind: 'chunked', count: 25_000 } });
  });

  it('a recipient in a chunked audience may delete it from their inbox; a stranger is told it does not exist', async () => {
    const { commands } = setup();
    rightOf(await commands.multicastAudience(admin, M, { query: { tag: 'x' } }, hi, directory(12_000).selection));
    const member = rightOf(await commands.deleteMessage(ctxFor(uid(11_999)), M));
    expect(member.effect).toBe('deleted_from_inbox');
    rightOf(await commands.deleteMessage(ctxFor(uid(0)), M));
    expectError(await commands.deleteMessage(ctxFor('u-999999'), M), 'not_found', 'MessageNotFound');
  });

  it('refuses bad content before reading the directory', async () => {
    const { commands } = setup();
    const d = directory(5);
    expectError(
      await commands.multicastAudience(
        admin,
        M,
        { query: { tag: 'x' } },
        { msg: 'hi', opts: {}, scheduled: new Date(NOW.getTime() - 1) },
        d.selection,
      ),
      'invalid',
      'ScheduledIsInThePast',
    );
    expect(d.limits).toEqual([]);
  });
});
