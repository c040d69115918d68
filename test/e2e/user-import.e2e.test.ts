import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { waitFor } from './standin-env.js';

// `msgxc import FILE` (the real binary) posting to a real broker: users in parts under one
// import id, errors named by line and field, a re-import that writes nothing, and a segment
// over the imported users that counts what an independent filter of the file counts.
const BIN = resolve(import.meta.dirname, '../../dist/bin/msgxc.js');
const N = 2_500;

const line = (i: number) => ({
  uid: `imp-${String(i).padStart(5, '0')}`,
  ...(i % 3 === 0 ? { email: `u${String(i)}@example.org` } : {}),
  tags: i % 4 === 0 ? ['beta'] : [],
  attributes: { plan: ['free', 'pro', 'team'][i % 3] ?? 'free', seats: i % 50 },
  timezone: 'Europe/Berlin',
  locale: 'de-DE',
});

describe('user import through the msgxc binary', () => {
  const dataDir = tempDir();
  const dir = tempDir();
  const file = join(dir, 'users.ndjson');
  let s: Server;
  let admin: string;
  const cli = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((done, failed) => {
      const child = spawn(process.execPath, [BIN, 'import', ...args], {
        env: { PATH: process.env['PATH'] ?? '', MSGXC_JWT_SECRET: SECRET, MSGXC_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('error', failed);
      child.on('close', (status) => {
        done({ status, stdout, stderr });
      });
    });

  beforeAll(async () => {
    s = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    admin = await token('root', ['admin']);
    const lines = Array.from({ length: N }, (_, i) => JSON.stringify(line(i)));
    // Bad lines, at known places: 2101 not JSON, 2102 a bad email, 2103 a bad tag.
    lines.splice(
      2100,
      0,
      '{"uid": "broken',
      '{"uid":"imp-x1","email":"not-an-address"}',
      '{"uid":"imp-x2","tags":[""]}',
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
    removeDir(dir);
  });

  it('imports every good line, names the bad ones, and a second import writes nothing', async () => {
    const first = await cli([file, '--url', s.url]);
    expect(first.stdout).toMatch(
      new RegExp(`done: ${String(N + 3)} lines, ${String(N)} users written, 0 unchanged, 3 errors`),
    );
    expect(first.stderr).toContain('line 2101: not JSON');
    expect(first.stderr).toContain('line 2102 email: email must look like');
    expect(first.stderr).toContain('line 2103 tags[0]:');
    expect(first.status).toBe(1);
    const again = await cli([file, '--url', s.url]);
    expect(again.stdout).toMatch(
      new RegExp(`done: ${String(N + 3)} lines, 0 users written, ${String(N)} unchanged, 3 errors`),
    );
    const id = /import ([0-9a-f-]{36}) done/.exec(again.stdout)?.[1] ?? '';
    const progress = await call(s, 'GET', `/api/v2/users/import/${id}`, { token: admin });
    expect(progress.body).toMatchObject({ linesRead: N + 3, usersWritten: 0, unchanged: N, errors: 3, done: true });
    const profile = await call(s, 'GET', '/api/v2/users/imp-00003/profile', { token: admin });
    expect(profile.body).toMatchObject({
      email: 'u3@example.org',
      // The line's time zone is the profile's own `timezone` (one field, docs/audiences.md).
      timezone: 'Europe/Berlin',
      attributes: { plan: 'free', seats: 3, tags: [], locale: 'de-DE' },
    });
  }, 180_000);

  // A part's progress while it runs says when its last line was taken; once recorded, the answer
  // said the import was last updated when the part began (the record was stamped with the
  // request's arrival), so updatedAt went back. The record now carries the start, stamped when made.
  it("an import's updatedAt never goes back, before or after its part is recorded", async () => {
    const id = '0a000000-0000-4000-8000-00000000f00d';
    const body = Array.from({ length: 1500 }, (_, i) => JSON.stringify({ uid: `upd-${String(i)}`, tags: ['t'] })).join(
      '\n',
    );
    const seen: { startedAt: string; updatedAt: string }[] = [];
    const state = { finished: false };
    const post = call(s, 'POST', `/api/v2/users/import?id=${id}`, {
      token: admin,
      raw: body,
      headers: { 'content-type': 'application/x-ndjson' },
    }).finally(() => (state.finished = true));
    while (!state.finished) {
      const r = await call(s, 'GET', `/api/v2/users/import/${id}`, { token: admin });
      if (r.status === 200) seen.push(r.body as { startedAt: string; updatedAt: string });
      await new Promise((r) => setTimeout(r, 20));
    }
    const answer = await post;
    expect(answer.status, answer.text).toBe(200);
    const after = (await call(s, 'GET', `/api/v2/users/import/${id}`, { token: admin })).body as {
      startedAt: string;
      updatedAt: string;
    };
    const times = [...seen, answer.body as typeof after, after];
    expect(seen.length).toBeGreaterThan(1);
    for (const [i, t] of times.entries()) {
      const before = times[i - 1];
      if (before === undefined) continue;
      expect(t.updatedAt >= before.updatedAt, JSON.stringify([before, t])).toBe(true);
      expect(t.startedAt).toBe(times[0]?.startedAt);
    }
    expect(after.updatedAt > after.startedAt).toBe(true);
  }, 120_000);

  it('a line longer than the broker takes (20 MB) or not UTF-8 is named, and the lines around it are imported', async () => {
    const careless = join(dir, 'careless.ndjson');
    writeFileSync(
      careless,
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from('{"uid":"imp-bom","email":"bom@example.org"}\r\n'),
        Buffer.from(`{"uid":"imp-huge","attributes":{"x":"${'a'.repeat(20 * 1024 * 1024)}"}}\n`),
        Buffer.from('{"uid":"imp-latin1","attributes":{"city":"K'),
        Buffer.from([0xf6]),
        Buffer.from('ln"}}\n{"uid":"imp-last","email":"last@example.org"}'),
      ]),
    );
    const r = await cli([careless, '--url', s.url]);
    expect(r.stdout).toMatch(/done: 4 lines, 2 users written, 0 unchanged, 2 errors/);
    expect(r.stderr).toContain('line 2: longer than 65536 characters');
    expect(r.stderr).toContain('line 3: not UTF-8');
    expect(r.status).toBe(1);
    for (const [uid, email] of [
      ['imp-bom', 'bom@example.org'],
      ['imp-last', 'last@example.org'],
    ] as const)
      expect((await call(s, 'GET', `/api/v2/users/${uid}/profile`, { token: admin })).body).toMatchObject({ email });
  }, 60_000);

  it('a body of another media type is a 415 that names the types the import takes', async () => {
    const r = await call(s, 'POST', '/api/v2/users/import', {
      token: admin,
      raw: '{"uid":"png-1"}\n',
      headers: { 'content-type': 'image/png' },
    });
    expect(r.status).toBe(415);
    expect(r.body).toMatchObject({ code: 'UnsupportedMediaType' });
    expect(r.text).toContain('application/x-ndjson');
  });

  it('a segment counts exactly the imported users an independent filter of the file selects', async () => {
    const query = {
      all: [{ attribute: 'plan', eq: 'pro' }, { any: [{ tag: 'beta' }, { attribute: 'seats', gt: 40 }] }],
    };
    const expected = Array.from({ length: N }, (_, i) => line(i)).filter(
      (u) => u.attributes.plan === 'pro' && (u.tags.includes('beta') || u.attributes.seats > 40),
    ).length;
    expect(expected).toBeGreaterThan(100);
    const r = await call(s, 'POST', '/api/v2/segments', { token: admin, body: { name: 'pro beta', query } });
    expect(r.status, r.text).toBe(200);
    const { id } = r.body as { id: string };
    await waitFor(
      `the segment to count ${String(expected)}`,
      async () => {
        const c = await call(s, 'GET', `/api/v2/segments/${id}/count`, { token: admin });
        return (c.body as { count: number }).count === expected ? true : undefined;
      },
      60_000,
      200,
    );
  }, 90_000);
});
