import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { waitFor } from './standin-env.js';

// Segments over the user directory on the embedded defaults: profiles set over the API, a
// segment saved as an event, its count from the search store once the projection indexed them.
describe('segments: saved queries over the user directory', () => {
  const dataDir = tempDir();
  let s: Server;
  let admin: string;
  const users = [
    { uid: 'seg-a', attributes: { tags: ['beta'], plan: 'pro', seats: 12 }, email: 'a@example.org' },
    { uid: 'seg-b', attributes: { tags: ['beta', 'vip'], plan: 'free', seats: 2 } },
    { uid: 'seg-c', attributes: { tags: [], plan: 'pro', seats: 40 }, email: 'c@example.org', channels: ['~email'] },
    { uid: 'seg-d', attributes: { plan: 'team' } },
  ];
  beforeAll(async () => {
    s = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    admin = await token('root', ['admin']);
    for (const u of users) {
      const r = await call(s, 'POST', '/api/v2/profile', { token: admin, body: u });
      expect(r.status, r.text).toBe(200);
    }
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const count = async (query: unknown, expected: number): Promise<void> => {
    const r = await call(s, 'POST', '/api/v2/segments', { token: admin, body: { name: 'n', query } });
    expect(r.status, r.text).toBe(200);
    const { id } = r.body as { id: string };
    const got = await call(s, 'GET', `/api/v2/segments/${id}`, { token: admin });
    expect(got.body).toEqual({ id, name: 'n', query });
    // The directory follows the log: wait until the count is the expected one, then it stays.
    await waitFor(
      `segment ${JSON.stringify(query)} to count ${expected}`,
      async () => {
        const c = await call(s, 'GET', `/api/v2/segments/${id}/count`, { token: admin });
        return (c.body as { count: number }).count === expected ? true : undefined;
      },
      20_000,
      100,
    );
  };

  it('counts the users a segment selects', async () => {
    await count({ tag: 'beta' }, 2);
    await count(
      {
        all: [
          { attribute: 'plan', eq: 'pro' },
          { attribute: 'seats', gt: 10 },
        ],
      },
      2,
    );
    await count({ attribute: 'plan', in: ['free', 'team'] }, 2);
    await count({ channel: 'email' }, 1);
    // root (recognised when it called) is in the directory too, with no tags and no plan.
    await count({ not: { any: [{ tag: 'beta' }, { attribute: 'plan', eq: 'team' }] } }, 2);
  });

  it('refuses a bad query naming the path of the bad node, and non-admins', async () => {
    const bad = await call(s, 'POST', '/api/v2/segments', {
      token: admin,
      body: { name: 'x', query: { all: [{ tag: 'a' }, { attribute: 'plan', eq: { $gt: 1 } }] } },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('query.all[1].eq');
    const dsl = await call(s, 'POST', '/api/v2/segments', {
      token: admin,
      body: { name: 'x', query: { bool: { must: [] } } },
    });
    expect(dsl.status).toBe(400);
    const user = await call(s, 'POST', '/api/v2/segments', {
      token: await token('seg-a'),
      body: { name: 'x', query: { tag: 'a' } },
    });
    expect(user.status).toBe(403);
    const none = await call(s, 'GET', '/api/v2/segments/nope/count', { token: admin });
    expect(none.status).toBe(404);
  });

  it('lists the saved segments to admins, a page at a time, on any node after a restart', async () => {
    const names = ['list-1', 'list-2', 'list-3'];
    const ids: string[] = [];
    for (const name of names) {
      const r = await call(s, 'POST', '/api/v2/segments', { token: admin, body: { name, query: { tag: name } } });
      expect(r.status, r.text).toBe(200);
      ids.push((r.body as { id: string }).id);
    }
    type Listed = { segments: { id: string; name: string; query: unknown; by: string }[]; next: string | null };
    const all = async (limit: number): Promise<Listed['segments']> => {
      const out: Listed['segments'] = [];
      let after = '';
      for (let i = 0; i < 100; i += 1) {
        const r = await call(s, 'GET', `/api/v2/segments?limit=${limit}${after ? `&after=${after}` : ''}`, {
          token: admin,
        });
        expect(r.status, r.text).toBe(200);
        const page = r.body as Listed;
        expect(page.segments.length).toBeLessThanOrEqual(limit);
        out.push(...page.segments);
        if (page.next === null) return out;
        after = page.next;
      }
      throw new Error('the pages never ended');
    };
    // Read-your-writes: the list waits for the read models to hold what was acknowledged.
    const listed = await all(2);
    const mine = listed.filter((x) => ids.includes(x.id));
    expect(mine.map((x) => [x.id, x.name, x.query, x.by])).toEqual(
      names.map((name, i) => [ids[i], name, { tag: name }, 'root']),
    );
    expect(listed.map((x) => x.id)).toEqual([...listed.map((x) => x.id)].sort());
    expect(new Set(listed.map((x) => x.id)).size).toBe(listed.length);
    await s.stop();
    s = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    expect((await all(50)).map((x) => x.id)).toEqual(listed.map((x) => x.id));
    const user = await call(s, 'GET', '/api/v2/segments', { token: await token('seg-a') });
    expect(user.status).toBe(403);
    const bad = await call(s, 'GET', '/api/v2/segments?after=%27%20OR%201%3D1', { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('after');
  });
});
