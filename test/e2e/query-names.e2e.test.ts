import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, token, type Server } from './harness.js';

// A /api/v2 operation takes the query parameters its OpenAPI entry lists, and every read also
// takes `consistency` and `min_position` (read-your-writes): anything else, or one of them given
// twice, is a 400 naming it, before the operation runs. The older surfaces keep ignoring what
// they do not read, as the systems they replace did.
describe('query parameters on /api/v2', () => {
  let s: Server;
  let alice: string;
  let admin: string;
  beforeAll(async () => {
    s = await startServer();
    alice = await token('alice');
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });
  const refused = (r: { status: number; body: unknown }, msg: RegExp): void => {
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'InvalidQuery' });
    expect((r.body as { msg: string }).msg).toMatch(msg);
  };

  it('refuses a parameter the operation does not take, naming it and what it takes', async () => {
    refused(
      await call(s, 'GET', '/api/v2/inbox?after=abc', { token: alice }),
      /^after: unknown parameter \(expected one of before, limit, unseen, consistency, min_position\)$/,
    );
    refused(
      await call(s, 'GET', '/api/v2/threads/t1/messages?limit=5&befor=x', { token: alice }),
      /^befor: unknown parameter/,
    );
    // A long or control-character name is named escaped and cut.
    const r = await call(s, 'GET', `/api/v2/inbox?${encodeURIComponent(`\u001b[2J${'x'.repeat(500)}`)}=1`, {
      token: alice,
    });
    refused(r, /^"\\u001b\[2Jx+"… \(504 characters\): unknown parameter/);
  });

  it('runs no command when its query is refused', async () => {
    refused(
      await call(s, 'POST', '/api/v2/send?urgent=1', { token: admin, body: { uid: 'bob', msg: 'not sent' } }),
      /^urgent: unknown parameter \(expected no query parameters\)$/,
    );
    const bob = await token('bob');
    const inbox = await call(s, 'GET', '/api/v2/inbox', { token: bob });
    expect(inbox.status).toBe(200);
    expect(JSON.stringify(inbox.body)).not.toContain('not sent');
  });

  it('refuses a value a flag does not take', async () => {
    refused(
      await call(s, 'GET', '/api/v2/inbox?unseen=yes', { token: alice }),
      /^unseen: expected true, false, 1 or 0$/,
    );
    for (const v of ['true', 'false', '1', '0'])
      expect((await call(s, 'GET', `/api/v2/inbox?unseen=${v}`, { token: alice })).status).toBe(200);
  });

  it('refuses a parameter given twice', async () => {
    refused(await call(s, 'GET', '/api/v2/inbox?limit=5&limit=500', { token: alice }), /^limit: given more than once$/);
  });

  it('takes consistency=eventual and min_position on the reads that wait for the read models, and refuses other values', async () => {
    expect((await call(s, 'GET', '/api/v2/inbox?consistency=eventual', { token: alice })).status).toBe(200);
    expect((await call(s, 'GET', '/api/v2/threads?min_position=1', { token: alice })).status).toBe(200);
    refused(
      await call(s, 'GET', '/api/v2/inbox?consistency=strong', { token: alice }),
      /^consistency: expected eventual/,
    );
    for (const bad of ['abc', '0', '-3', '1.5', '99999999999999999999'])
      refused(
        await call(s, 'GET', `/api/v2/threads?min_position=${bad}`, { token: alice }),
        /^min_position: expected a log position/,
      );
    // A read that never waits (the log's own routes, the scheduled list) does not take them.
    refused(
      await call(s, 'GET', '/api/v2/messages?consistency=eventual', { token: admin }),
      /^consistency: unknown parameter \(expected one of scheduled, limit\)$/,
    );
  });

  it('answers 401 before looking at the query', async () => {
    const r = await call(s, 'GET', '/api/v2/inbox?after=abc');
    expect(r.status).toBe(401);
  });

  it('documents the read options in the OpenAPI document', async () => {
    const doc = (await call(s, 'GET', '/api/v2/openapi.json')).body as {
      paths: Record<string, Record<string, { parameters: { name: string }[] }>>;
    };
    const names = (doc.paths['/api/v2/inbox']?.['get']?.parameters ?? []).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['before', 'limit', 'unseen', 'consistency', 'min_position']));
    expect((doc.paths['/api/v2/send']?.['post']?.parameters ?? []).map((p) => p.name)).not.toContain('consistency');
  });

  it('leaves the older surfaces as lenient as the systems they replace', async () => {
    const r = await call(s, 'GET', '/api/v1/messaging?target_type=user&target_id=alice&page=2', { token: alice });
    expect(r.status).toBe(200);
  });
});
