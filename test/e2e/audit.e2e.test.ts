import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, SECRET, startServer, token, type Server } from './harness.js';
import { isProductionStack, stackEnv } from './stack.js';

// The auditors' side on a real server process: the filtered routes and who may call them,
// then `msgxc audit` (the built binary) on the same log: checkpoint, verify, export as JSON
// Lines and CSV, resuming from a cursor; on the embedded log a row changed with the sqlite3
// shell behind the broker's back, which verify must name (JetStream's tampering is in
// test/integration/audit-log-jetstream.int.test.ts).
const BIN = resolve(import.meta.dirname, '../../dist/bin/msgxc.js');

interface Page {
  events: {
    stream: string;
    revision: number;
    position: number;
    type: string;
    metadata: { actor: { uid: string }; correlationId: string; chain?: { hash: string } };
  }[];
  next: number | null;
}

describe('audit routes and the audit CLI on a real server process', () => {
  let s: Server;
  let auditor: string;
  let alice: string;
  // Run asynchronously: a blocked event loop would miss the server closing idle keep-alive
  // connections, and the next fetch would be sent on a dead one.
  const cli = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((done, failed) => {
      const child = spawn(process.execPath, [BIN, 'audit', ...args], {
        env: {
          PATH: process.env['PATH'] ?? '',
          MSGXC_JWT_SECRET: SECRET,
          MSGXC_DATA_DIR: s.dataDir,
          ...stackEnv(s.dataDir),
        },
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
  const events = async (query: string): Promise<Page> => {
    const r = await call(s, 'GET', `/api/v2/events?${query}`, { token: auditor });
    expect(r.status, r.text).toBe(200);
    return r.body as Page;
  };

  beforeAll(async () => {
    s = await startServer();
    auditor = await token('carol', ['auditor']);
    alice = await token('alice');
    const bob = await token('bob');
    expect(
      (await call(s, 'POST', '/api/v2/threads', { token: alice, body: { tid: 'audit-t', opens: true } })).status,
    ).toBe(201);
    expect((await call(s, 'POST', '/api/v2/subscribe', { token: bob, body: { tid: 'audit-t' } })).status).toBe(200);
    // Each on a later millisecond than the one before, so a time falls between two of them.
    for (const msg of ['one', 'two', 'three']) {
      const before = Date.now();
      while (Date.now() === before) await new Promise((r) => setImmediate(r));
      expect(
        (
          await call(s, 'POST', '/api/v2/publish', {
            token: alice,
            body: { tid: 'audit-t', msg },
            headers: { 'x-request-id': `corr-${msg}` },
          })
        ).status,
      ).toBe(200);
    }
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });

  it('filters the log by type, stream prefix, actor, correlation id and time, and pages it', async () => {
    const published = await events('type=MessagePublished');
    expect(published.events.map((e) => e.type)).toEqual(['MessagePublished', 'MessagePublished', 'MessagePublished']);
    expect(published.events.every((e) => e.metadata.chain?.hash.length === 64)).toBe(true);
    const byAlice = await events('actor=alice&stream=thread-');
    expect(byAlice.events.length).toBeGreaterThan(0);
    expect(byAlice.events.every((e) => e.stream.startsWith('thread-') && e.metadata.actor.uid === 'alice')).toBe(true);
    const corr = published.events[1]?.metadata.correlationId ?? '';
    const one = await events(`correlationId=${encodeURIComponent(corr)}`);
    expect(one.events.length).toBeGreaterThan(0);
    expect(one.events.every((e) => e.metadata.correlationId === corr)).toBe(true);
    expect((await events('from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z')).events).toEqual([]);
    const first = await events('type=MessagePublished&limit=2');
    expect(first.events).toHaveLength(2);
    const second = await events(`type=MessagePublished&limit=2&after=${String(first.next)}`);
    expect(second.events.map((e) => e.position)).toEqual([published.events[2]?.position]);
  });

  it('lists streams by prefix', async () => {
    const r = await call(s, 'GET', '/api/v2/streams?prefix=user-', { token: auditor });
    expect(r.status).toBe(200);
    const names = (r.body as { streams: { stream: string }[] }).streams.map((x) => x.stream);
    expect(names).toEqual(expect.arrayContaining(['user-alice', 'user-bob']));
    expect(names.every((n) => n.startsWith('user-'))).toBe(true);
  });

  it('answers a bad filter with a 400 naming it, and refuses callers who are not auditors', async () => {
    const bad = async (query: string, field: string): Promise<void> => {
      const r = await call(s, 'GET', `/api/v2/events?${query}`, { token: auditor });
      expect(r.status, query).toBe(400);
      expect((r.body as { msg: string }).msg.startsWith(`${field}:`), r.text).toBe(true);
    };
    await bad('from=yesterday', 'from');
    await bad('from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to');
    await bad(`type=${'x'.repeat(65)}`, 'type');
    await bad('actr=bob', 'actr');
    await bad('after=-1', 'after');
    await bad('actor=a&actor=b', 'actor');
    const streams = await call(s, 'GET', '/api/v2/streams?prefix=%20', { token: auditor });
    expect(streams.status).toBe(400);
    for (const path of ['/api/v2/events?actor=bob', '/api/v2/streams', '/api/v2/streams/user-bob'])
      expect((await call(s, 'GET', path, { token: alice })).status, path).toBe(403);
    expect((await call(s, 'GET', '/api/v2/events')).status).toBe(401);
  });

  it('verify accepts the log after a checkpoint, and export writes what the route answers', async () => {
    expect((await cli(['checkpoint'])).status).toBe(0);
    const verified = await cli(['verify']);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toContain('OK: every link and checkpoint matches');
    expect(verified.stdout).toMatch(/1 checkpoints; the last covers positions up to \d+: [0-9a-f]{64}/);
    expect(verified.stderr).toBe(''); // not a terminal: no progress
    // The checkpoint event is the log's own: the projections pass it by, it is no dead letter.
    // (Written by another process, which does not wake the embedded log's followers: the
    // node's next append does.)
    const wake = await call(s, 'POST', '/api/v2/threads', { token: alice, body: { tid: 'audit-wake' } });
    expect(wake.status).toBe(201);
    const stream = (await call(s, 'GET', '/api/v2/streams/audit-checkpoints', { token: auditor })).body as Page;
    const at = stream.events[0]?.position ?? Number.POSITIVE_INFINITY;
    for (const deadline = Date.now() + 15_000; ; await new Promise((r) => setTimeout(r, 100))) {
      const ready = (await call(s, 'GET', '/readyz')).body as { projections?: { position: number }[] };
      if ((ready.projections ?? []).every((p) => p.position >= at)) break;
      if (Date.now() > deadline) throw new Error(`projections never passed the checkpoint: ${JSON.stringify(ready)}`);
    }
    const dead = await call(s, 'GET', '/api/v2/admin/dead-letters', { token: auditor });
    expect(dead.body).toMatchObject({ count: 0 });
    const json = JSON.parse((await cli(['verify', '--json'])).stdout) as { failure?: unknown; checkpoints: number };
    expect(json).toMatchObject({ checkpoints: 1 });
    expect(json.failure).toBeUndefined();

    const route = await events('stream=thread-&limit=1000');
    const out = await cli(['export', '--stream', 'thread-']);
    expect(out.status, out.stderr).toBe(0);
    const lines = out.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { position: number });
    expect(lines.map((l) => l.position)).toEqual(route.events.map((e) => e.position));

    const csv = await cli(['export', '--format', 'csv', '--type', 'MessagePublished', '--actor', 'alice']);
    expect(csv.status).toBe(0);
    const rows = csv.stdout.trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'position,stream,revision,type,occurredAt,actor,roles,correlationId,causationId,eventId,hash,data',
    );
    expect(rows).toHaveLength(4);
    expect(rows[1]).toMatch(/^\d+,message-[^,]+,0,MessagePublished,.*,alice,/);

    const refused = await cli(['export', '--from', 'soon']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--from:');
  });

  it('export resumes from its cursor file: a page written after the last cursor is dropped, new events follow', async () => {
    const out = join(s.dataDir, 'export.jsonl');
    const cursor = join(s.dataDir, 'export.cursor');
    expect((await cli(['export', '--out', out, '--cursor', cursor])).status).toBe(0);
    const whole = readFileSync(out, 'utf8');
    const saved = JSON.parse(readFileSync(cursor, 'utf8')) as { after: number; bytes: number; exported: number };
    expect(saved.bytes).toBe(Buffer.byteLength(whole));
    // An export interrupted after writing two events beyond its cursor: the cursor says one event.
    const firstLine = whole.slice(0, whole.indexOf('\n') + 1);
    const [firstEvent, secondEvent] = whole
      .split('\n')
      .map((l) => (l === '' ? undefined : (JSON.parse(l) as { position: number })));
    writeFileSync(out, `${firstLine}{"partial": tr`);
    writeFileSync(
      cursor,
      JSON.stringify({ ...saved, after: firstEvent?.position, bytes: Buffer.byteLength(firstLine), exported: 1 }),
    );
    expect(secondEvent).toBeDefined();
    expect((await cli(['export', '--out', out, '--cursor', cursor])).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(whole);
    // New events after a finished export: the rerun appends only them.
    expect(
      (await call(s, 'POST', '/api/v2/publish', { token: alice, body: { tid: 'audit-t', msg: 'four' } })).status,
    ).toBe(200);
    expect((await cli(['export', '--out', out, '--cursor', cursor])).status).toBe(0);
    const fresh = await cli(['export']);
    expect(readFileSync(out, 'utf8')).toBe(fresh.stdout);
    expect(fresh.stdout.length).toBeGreaterThan(whole.length);
    // Other flags with the same cursor are refused rather than mixed into one file.
    const other = await cli(['export', '--out', out, '--cursor', cursor, '--actor', 'bob']);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain('--cursor');
  });

  it('replay --at builds the read models as they were at a time into another directory and answers from them', async () => {
    const published = (await events('type=MessagePublished')).events as unknown as {
      data: { mid: string };
      metadata: { occurredAt: string };
    }[];
    // After that time Bob deletes the first message from his inbox: the replay must not see it.
    const bob = await token('bob');
    const deleted = await call(s, 'POST', '/api/v2/inbox/delete', {
      token: bob,
      body: { mids: [published[0]?.data.mid] },
    });
    expect(deleted.status, deleted.text).toBe(200);
    const at = published[1]?.metadata.occurredAt ?? '';
    expect(at > (published[0]?.metadata.occurredAt ?? '')).toBe(true);
    expect((published[2]?.metadata.occurredAt ?? '') > at).toBe(true);
    const dir = join(s.dataDir, 'replay');
    const inbox = await cli(['replay', '--at', at, '--dir', dir, '--inbox', 'bob']);
    expect(inbox.status, inbox.stderr).toBe(0);
    const answer = JSON.parse(inbox.stdout) as { upTo: number; inbox: { messages: { msg: string }[] } };
    expect(answer.inbox.messages.map((m) => m.msg)).toEqual(['two', 'one']);
    const thread = JSON.parse((await cli(['replay', '--at', at, '--dir', dir, '--thread', 'audit-t'])).stdout) as {
      thread: { tid: string };
      messages: { messages: { msg: string }[] };
    };
    expect(thread.thread.tid).toBe('audit-t');
    expect(thread.messages.messages.map((m) => m.msg)).toEqual(['two', 'one']);
    // The live broker answers with what came later: the third message, and without the deleted one.
    const live = (await call(s, 'GET', '/api/v2/inbox', { token: bob })).body as { messages: { msg: string }[] };
    expect(live.messages.map((m) => m.msg)).toContain('three');
    expect(live.messages.map((m) => m.msg)).not.toContain('one');
    const refused = await cli(['replay', '--at', at, '--dir', s.dataDir, '--inbox', 'bob']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--dir must not be the data directory');
  });

  // On the production stack a replay with no --dir builds the Cassandra read models (the
  // broker's engine) into a keyspace of its own, drawing progress on a terminal.
  if (isProductionStack())
    it("replay --at builds the Cassandra read models into a replay keyspace, answers from it, and leaves the broker's alone", async () => {
      const env = stackEnv(s.dataDir);
      const brokerKs = env['MSGXC_CASSANDRA_KEYSPACE'] ?? '';
      const client = new Client({
        contactPoints: (env['MSGXC_CASSANDRA_CONTACT_POINTS'] ?? '').split(','),
        localDataCenter: env['MSGXC_CASSANDRA_LOCAL_DC'] ?? '',
      });
      const keyspaces = async (): Promise<string[]> =>
        (await client.execute('SELECT keyspace_name FROM system_schema.keyspaces')).rows
          .map((r) => String(r.get('keyspace_name')))
          .filter((k) => k.startsWith(`${brokerKs}_replay_`))
          .sort();
      try {
        const published = (await events('type=MessagePublished')).events as unknown as {
          data: { mid: string };
          metadata: { occurredAt: string };
        }[];
        const at = published[1]?.metadata.occurredAt ?? '';
        const stamp = at.replace(/[-:.]/g, '').toLowerCase();
        // Bob deleted 'one' (the test before) and 'three' came after: the replay sees neither change.
        const inbox = await cli(['replay', '--at', at, '--inbox', 'bob']);
        expect(inbox.status, inbox.stderr).toBe(0);
        const answer = JSON.parse(inbox.stdout) as {
          keyspace: string;
          generation: string;
          upTo: number;
          inbox: { messages: { msg: string }[] };
        };
        expect(answer.keyspace).toBe(`${brokerKs}_replay_${stamp}`);
        expect(answer.generation).toBe(`${answer.keyspace}_g1`);
        expect(answer.inbox.messages.map((m) => m.msg)).toEqual(['two', 'one']);
        expect(await keyspaces()).toEqual([answer.keyspace, answer.generation]);
        const marker = await client.execute(`SELECT at, up_to, generation FROM ${answer.keyspace}.audit_replay`);
        expect(
          marker.rows.map((r) => [String(r.get('at')), Number(r.get('up_to')), String(r.get('generation'))]),
        ).toEqual([[at, answer.upTo, answer.generation]]);
        // Named, and on a terminal (a pty from script(1)): the progress line, then the answer.
        const named = `${brokerKs}_replay_named`;
        const argv = [process.execPath, BIN, 'audit', 'replay', '--at', at, '--keyspace', named, '--thread', 'audit-t'];
        const tty = await new Promise<{ status: number | null; out: string }>((done, failed) => {
          const child = spawn('script', ['-qec', argv.map((a) => `'${a}'`).join(' '), '/dev/null'], {
            env: { PATH: process.env['PATH'] ?? '', MSGXC_JWT_SECRET: SECRET, MSGXC_DATA_DIR: s.dataDir, ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
          child.on('error', failed);
          child.on('close', (status) => {
            done({ status, out });
          });
        });
        expect(tty.status, tty.out).toBe(0);
        expect(tty.out).toMatch(/\[#{25}\] 100\.0%\s+\d+ positions\s+\d+\/s\s+ETA done/);
        const thread = JSON.parse(tty.out.slice(tty.out.indexOf('{'))) as {
          keyspace: string;
          thread: { tid: string };
          messages: { messages: { msg: string }[] };
        };
        expect(thread.keyspace).toBe(named);
        expect(thread.thread.tid).toBe('audit-t');
        expect(thread.messages.messages.map((m) => m.msg)).toEqual(['two', 'one']);
        // A rerun rebuilds beside and drops the previous generation.
        const again = JSON.parse((await cli(['replay', '--at', at, '--inbox', 'bob'])).stdout) as {
          generation: string;
          inbox: { messages: { msg: string }[] };
        };
        expect(again.generation).toBe(`${answer.keyspace}_g2`);
        expect(again.inbox.messages.map((m) => m.msg)).toEqual(['two', 'one']);
        expect(await keyspaces()).toEqual([answer.keyspace, again.generation, named, `${named}_g1`]);
        // Never the broker's keyspace, its generations or keys; never a keyspace a replay did not make.
        for (const ks of [brokerKs, `${brokerKs}_g1`, `${brokerKs}_keys`]) {
          const r = await cli(['replay', '--at', at, '--keyspace', ks]);
          expect(r.status).toBe(2);
          expect(r.stderr).toContain(`--keyspace: must not be the broker's keyspace (${brokerKs})`);
        }
        const foreign = await cli(['replay', '--at', at, '--keyspace', 'system_traces']);
        expect(foreign.status).toBe(2);
        expect(foreign.stderr).toContain('--keyspace: system_traces exists and was not made by a replay');
        const both = await cli(['replay', '--at', at, '--keyspace', named, '--dir', join(s.dataDir, 'x')]);
        expect(both.status).toBe(2);
        expect(both.stderr).toContain('--dir and --keyspace: give one of them');
        // The live broker's read models still answer with what came later.
        const bob = await token('bob');
        const live = (await call(s, 'GET', '/api/v2/inbox', { token: bob })).body as { messages: { msg: string }[] };
        expect(live.messages.map((m) => m.msg)).toContain('three');
        expect(live.messages.map((m) => m.msg)).not.toContain('one');
      } finally {
        for (const ks of await keyspaces()) await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
        expect(await keyspaces()).toEqual([]);
        await client.shutdown();
      }
    });

  // The embedded log's file, changed with the sqlite3 shell while the broker is stopped.
  if (!isProductionStack())
    it('verify names the event whose row was changed in the embedded log', async () => {
      const victim = (await events('type=MessagePublished')).events[1];
      if (victim === undefined) throw new Error('published');
      await s.stop();
      const file = join(s.dataDir, 'events.db');
      expect(existsSync(file)).toBe(true);
      const sql = `UPDATE events SET data = json_set(data, '$.msg', 'forged') WHERE position = ${String(victim.position)}`;
      expect(spawnSync('sqlite3', [file, sql]).status).toBe(0);
      const r = await cli(['verify']);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(
        `FAILED altered: stream ${JSON.stringify(victim.stream)} revision 0 at position ${String(victim.position)}: its content does not match its hash`,
      );
      s = await startServer({ dataDir: s.dataDir });
    });

  // A row whose data was replaced with text that is not JSON: verify stopped with "failed to
  // start: Unexpected token" naming no event, and every route page holding it answered 500.
  if (!isProductionStack())
    it('a row edited into text that is not JSON: verify names it, the routes show it as unreadable', async () => {
      // Before the row the test above changed, so verify stops at this one.
      const victim = (await events('type=MessagePublished')).events[0];
      if (victim === undefined) throw new Error('published');
      await s.stop();
      const sql = `UPDATE events SET data = 'not json' WHERE position = ${String(victim.position)}`;
      expect(spawnSync('sqlite3', [join(s.dataDir, 'events.db'), sql]).status).toBe(0);
      const r = await cli(['verify']);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(
        `FAILED altered: stream ${JSON.stringify(victim.stream)} revision 0 at position ${String(victim.position)}: its stored data or metadata cannot be read`,
      );
      s = await startServer({ dataDir: s.dataDir });
      const page = await events(`after=${String(victim.position - 1)}&limit=2`);
      expect(page.events[0]).toMatchObject({ position: victim.position, data: null, metadata: victim.metadata });
      expect(page.events[0]).toHaveProperty('unreadable', expect.stringContaining('JSON'));
      expect(page.events[1]?.position).toBeGreaterThan(victim.position);
      expect((await events('actor=alice&limit=1000')).events.map((e) => e.position)).toContain(victim.position);
      const streams = await call(s, 'GET', `/api/v2/streams?prefix=${victim.stream}`, { token: auditor });
      expect(streams.status, streams.text).toBe(200);
      const one = await call(s, 'GET', `/api/v2/streams/${victim.stream}`, { token: auditor });
      expect(one.status, one.text).toBe(200);
      expect(one.body).toMatchObject({ events: [{ position: victim.position, data: null }] });
      // A route that needs the event answers naming it (it was an anonymous 500 InternalError).
      const story = await call(s, 'GET', `/api/v2/messages/${victim.stream.slice('message-'.length)}/deliveries`, {
        token: auditor,
      });
      expect(story.status, story.text).toBe(503);
      expect(story.body).toMatchObject({ code: 'UnreadableEvent' });
      expect((story.body as { msg: string }).msg).toContain(`position ${String(victim.position)}`);
    });
});
