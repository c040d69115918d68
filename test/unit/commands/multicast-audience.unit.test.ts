import { describe, expect, it } from 'vitest';
import { AUDIENCE_PAGE, type UserSelection } from '../../../commands/multicast-audience.js';
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
    const { memory, commands } = setup();
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
    const big = directory(10_050);
    expectError(
      await commands.multicastAudience(admin, M, { query: { tag: 'x' } }, hi, big.selection),
      'unprocessable',
      'AudienceIsTooLarge',
    );
    // It stops one past the limit, never reading the whole directory.
    expect(big.limits.reduce((a, b) => a + b, 0)).toBe(10_001);
    expect(await streamTypes(memory, 'message-m-aud')).toEqual([]);
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
