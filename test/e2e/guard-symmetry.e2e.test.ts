import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, token, type Reply, type Server } from './harness.js';

// Issue 9, finding 4, through the real process: a publish answered 2xx is readable back, and
// a value the read side could not decode is refused up front with a 400 naming the field.
// Before the fix, scheduled=8640000000000000 was answered 200 with an X-Message-Id, then skipped
// by every projection ("skipped an undecodable event"), and GET of its mid answered 404.
describe('write/read symmetry on a real server process', () => {
  let server: Server;
  let alice: string;
  let admin: string;
  beforeAll(async () => {
    // A body limit far above the default, so the codecs' own bounds are what is tested.
    server = await startServer({ env: { MSGXC_BODY_LIMIT: String(4 * 1024 * 1024) } });
    alice = await token('alice');
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    await server.stop();
    removeDir(server.dataDir);
  });

  const refused = (r: Reply, field: RegExp, code = 'InvalidBody'): void => {
    expect(r.status, r.text).toBe(400);
    expect(r.body).toMatchObject({ code });
    expect((r.body as { msg: string }).msg).toMatch(field);
  };
  /** Publishes, and checks that the answer's message can be read back through the API. */
  const publishedAndReadable = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const r = await call(server, 'POST', '/api/v2/publish', { token: alice, body });
    expect(r.status, r.text).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    const read = await call(server, 'GET', `/api/v2/messages/${mid}`, { token: alice });
    expect(read.status, read.text).toBe(200);
    return read.body as Record<string, unknown>;
  };

  it('refuses dates the log could not give back, naming `scheduled`, and never acknowledges them', async () => {
    for (const scheduled of [
      8_640_000_000_000_000,
      '+275760-09-13T00:00:00.000Z',
      253_402_300_800_000,
      -1,
      1.5,
      'tomorrow',
    ]) {
      refused(
        await call(server, 'POST', '/api/v2/publish', { token: alice, body: { tid: 'dates', msg: 'x', scheduled } }),
        /^scheduled: /,
      );
    }
    const twoYears = Date.now() + 2 * 366 * 24 * 3600_000;
    refused(
      await call(server, 'POST', '/api/v2/publish', {
        token: alice,
        body: { tid: 'dates', msg: 'x', scheduled: twoYears },
      }),
      /scheduled may be at most 366 days ahead/,
      'ScheduledIsTooFarAhead',
    );
    refused(
      await call(server, 'POST', '/api/v2/send', {
        token: admin,
        body: { uid: 'bob', msg: 'x', scheduled: 8_640_000_000_000_000 },
      }),
      /^scheduled: /,
    );
  });

  it('a scheduled message inside the window is answered 200, read back with its date, and timed by the delivery reactors', async () => {
    const at = new Date(Date.now() + 365 * 24 * 3600_000);
    const m = await publishedAndReadable({ tid: 'dates', msg: 'next year', scheduled: at.getTime() });
    expect(m).toMatchObject({ msg: 'next year', scheduled: at.toISOString() });
    // The reactors' report waits until they have folded the log: the message is among the upcoming ones.
    const upcoming = await call(server, 'GET', '/api/v2/messages?scheduled=upcoming', { token: admin });
    expect((upcoming.body as { messages: { mid: string; scheduled: string }[] }).messages).toContainEqual(
      expect.objectContaining({ mid: m['mid'], scheduled: at.toISOString() }),
    );
  });

  it('strings, lists and payloads at their bounds are stored and read back; one past the bound is a 400 naming the field', async () => {
    const longest = 'é'.repeat(65_536);
    expect((await publishedAndReadable({ tid: 'bounds', msg: longest })).msg).toBe(longest);
    refused(
      await call(server, 'POST', '/api/v2/publish', { token: alice, body: { tid: 'bounds', msg: `${longest}x` } }),
      /^msg: /,
    );
    refused(
      await call(server, 'POST', '/api/v2/publish', {
        token: alice,
        body: { tid: 'bounds', msg: 'x', subject: 's'.repeat(999) },
      }),
      /^subject: /,
    );
    refused(
      await call(server, 'POST', '/api/v2/publish', {
        token: alice,
        body: { tid: 'bounds', msg: 'x', opts: { k: 'v'.repeat(70_000) } },
      }),
      /^opts: /,
    );
    refused(
      await call(server, 'POST', '/api/v2/publish', {
        token: alice,
        body: { tid: 'bounds', msg: 'x', opts: { many: Array.from({ length: 5000 }, (_, i) => i) } },
      }),
      /^opts: /,
    );
    // JSON.parse reads 1e400 as Infinity, which JSON cannot write back.
    const json = { 'content-type': 'application/json' };
    refused(
      await call(server, 'POST', '/api/v2/publish', {
        token: alice,
        raw: '{"tid":"bounds","msg":"x","opts":{"n":1e400}}',
        headers: json,
      }),
      /^opts: /,
    );
    refused(
      await call(server, 'POST', '/api/v2/publish', {
        token: alice,
        raw: '{"tid":"bounds","msg":"x","opts":{"ttl":1e400}}',
        headers: json,
      }),
      /^opts(\.ttl)?: /,
    );
    refused(
      await call(server, 'POST', '/api/v2/multicast', {
        token: admin,
        body: { msg: 'x', uids: Array.from({ length: 10_001 }, (_, i) => `u${i}`) },
      }),
      /^uids: /,
    );
    refused(
      await call(server, 'POST', '/api/v2/ack', {
        token: alice,
        body: { mids: Array.from({ length: 1001 }, (_, i) => `m${i}`), status: 'seen' },
      }),
      /^mids: /,
    );
    refused(
      await call(server, 'POST', '/api/v2/threads', { token: alice, body: { name: 'n'.repeat(201) } }),
      /^name: /,
    );
    refused(
      await call(server, 'POST', '/api/v2/threads', { token: alice, body: { mtypes: ['m'.repeat(65)] } }),
      /^mtypes\.0: /,
    );
    refused(
      await call(server, 'POST', '/api/v2/profile', { token: alice, body: { attributes: { a: 'a'.repeat(70_000) } } }),
      /^attributes: /,
    );
    refused(
      await call(server, 'POST', '/api/v2/profile', {
        token: alice,
        body: { email: `${'e'.repeat(400)}@example.org` },
      }),
      /^email: /,
    );
  });

  it('JSON that would change on its way through the log is stored in the form it is read back in', async () => {
    // -0 is written by JSON as 0; an own __proto__ key must stay a key, not become a prototype.
    const raw = '{"tid":"bounds","msg":"edge","opts":{"n":-0,"__proto__":{"polluted":true},"big":1e308,"tiny":5e-324}}';
    const r = await call(server, 'POST', '/api/v2/publish', {
      token: alice,
      raw,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status, r.text).toBe(200);
    const read = await call(server, 'GET', `/api/v2/messages/${r.headers.get('x-message-id') ?? ''}`, { token: alice });
    expect(read.status).toBe(200);
    const opts = (JSON.parse(read.text) as { opts: Record<string, unknown> }).opts;
    expect(Object.is(opts['n'], 0)).toBe(true);
    expect(Object.keys(opts)).toContain('__proto__');
    expect(opts['big']).toBe(1e308);
    expect(opts['tiny']).toBe(5e-324);
  });

  it('every 2xx above left events the projections and reactors decoded: nothing was skipped', async () => {
    const events = await call(server, 'GET', '/api/v2/events?limit=1000', { token: admin });
    const published = (events.body as { events: { type: string }[] }).events.filter(
      (e) => e.type === 'MessagePublished',
    );
    expect(published).toHaveLength(3);
    // The reactors' report answers once they have folded the whole log, so any skip is logged by now.
    expect((await call(server, 'GET', '/api/v2/messages?scheduled=recent', { token: admin })).status).toBe(200);
    expect(server.output()).not.toMatch(/undecodable/);
  });

  it('a lone UTF-16 surrogate anywhere in a body is a 400 naming where, and nothing of it is stored', async () => {
    // The log kept it (JSON escapes it), but every store of text does not: SQLite read models
    // gave `\ud800` back as three U+FFFD (a 200-character thread name of them read back as
    // 600), Cassandra and Elasticsearch as one, pushes and emails as one.
    refused(
      await call(server, 'POST', '/api/v2/publish', { token: alice, body: { tid: 'lone', msg: 'lone \ud800 one' } }),
      /^msg: .*surrogate/,
    );
    refused(
      await call(server, 'POST', '/api/v2/threads', {
        token: alice,
        body: { tid: 'lone', name: '\ud800'.repeat(200) },
      }),
      /^name: .*surrogate/,
    );
    refused(
      await call(server, 'POST', '/api/v2/profile', { token: alice, body: { email: 'a\ud800@example.com' } }),
      /^email: .*surrogate/,
    );
    refused(
      await call(server, 'POST', '/api/v2/send', {
        token: admin,
        body: { uid: 'bob', msg: 'x', opts: { t: ['ok', 'x\udfff'] } },
      }),
      /^opts\.t\.1: .*surrogate/,
    );
    refused(
      await call(server, 'POST', '/api/v2/send', {
        token: admin,
        body: { uid: 'bob', msg: 'x', opts: { ['k\ud800']: 1 } },
      }),
      /^opts: a key with a lone UTF-16 surrogate/,
    );
    expect((await call(server, 'GET', '/api/v2/threads/lone', { token: alice })).status).toBe(404);
    expect((await call(server, 'GET', '/api/v2/profile', { token: alice })).body).toMatchObject({ email: null });
    // Surrogate pairs are characters like any other: stored and read back as sent, at the bound.
    const name = '\u{1F992}'.repeat(100);
    expect((await call(server, 'POST', '/api/v2/threads', { token: alice, body: { tid: 'pairs', name } })).status).toBe(
      201,
    );
    expect((await call(server, 'GET', '/api/v2/threads/pairs', { token: alice })).body).toMatchObject({ name });
    expect((await publishedAndReadable({ tid: 'pairs', msg: 'giraffe \u{1F992}' }))['msg']).toBe('giraffe \u{1F992}');
  });
});
