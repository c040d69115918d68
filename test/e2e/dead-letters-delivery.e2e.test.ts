import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore } from '../../app/engines.js';
import { meta } from '../unit/projections/fixtures.js';
import { call, removeDir, startServer, token, type Server } from './harness.js';
import { stackEnv } from './stack.js';

// Delivery's followers quarantine too (issue 11): an event triage cannot decode (written behind
// the broker's back) is a dead letter of `triage`, listed by the same admin route as the read
// models' ones, counted in the same metric; a retry (a read-model rebuild) does not count it,
// since a rebuild does not replay delivery.
interface DeadLetter {
  follower: string;
  position: number;
  stream: string;
  type: string;
  reason: string;
}

describe("delivery's dead letters on a real server process", () => {
  let s: Server;
  let admin: string;
  let auditor: string;
  let poison = 0;
  const letters = async (query = ''): Promise<{ count: number; deadLetters: DeadLetter[] }> =>
    (await call(s, 'GET', `/api/v2/admin/dead-letters${query}`, { token: auditor })).body as {
      count: number;
      deadLetters: DeadLetter[];
    };

  beforeAll(async () => {
    s = await startServer();
    admin = await token('root', ['admin']);
    auditor = await token('audit', ['auditor']);
    const bob = await token('bob');
    expect((await call(s, 'POST', '/api/v2/threads', { token: bob, body: { tid: 'club', opens: true } })).status).toBe(
      201,
    );
    await s.stop();
    const log = await openEventStore(stackEnv(s.dataDir)['MSGXC_EVENTSTORE'] ?? 'embedded', { dataDir: s.dataDir });
    const appended = await log.append(
      'user-poison',
      [{ type: 'DeviceEnlisted', data: { uid: 'poison' }, metadata: meta() }],
      'any',
    );
    await log.close();
    if (appended.kind !== 'appended') throw new Error('could not plant the poison event');
    poison = appended.position;
    s = await startServer({ dataDir: s.dataDir });
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });

  it("lists triage's dead letter beside the projections' ones, for admins and auditors, and counts it", async () => {
    // The state the server reaches (triage's dead letter listed), not a time.
    let listed = await letters();
    for (const deadline = Date.now() + 60_000; !listed.deadLetters.some((d) => d.follower === 'triage'); ) {
      if (Date.now() > deadline) throw new Error(`triage quarantined nothing: ${JSON.stringify(listed)}`);
      await new Promise((r) => setTimeout(r, 100));
      listed = await letters();
    }
    const triage = await letters('?follower=triage');
    expect(triage.count).toBe(1);
    expect(triage.deadLetters).toEqual([
      expect.objectContaining({ follower: 'triage', position: poison, stream: 'user-poison', type: 'DeviceEnlisted' }),
    ]);
    expect(triage.deadLetters[0]?.reason).toMatch(/^data: .*device/);
    // The read models quarantined the same event: listed too, each under its own follower.
    const projections = listed.deadLetters.filter((d) => d.follower !== 'triage' && d.follower !== 'dispatch');
    expect(projections.length).toBeGreaterThan(0);
    expect(projections.every((d) => d.position === poison)).toBe(true);
    expect((await call(s, 'GET', '/api/v2/admin/dead-letters', { token: await token('bob') })).status).toBe(403);
    expect((await call(s, 'GET', '/metrics')).text).toMatch(/msgxc_follower_dead_letters_total\{follower="triage"\} 1/);
    // A retry is a read-model rebuild: it tries again the projections' dead letters, not delivery's.
    const retry = await call(s, 'POST', '/api/v2/admin/dead-letters/retry', { token: admin });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ retrying: projections.length });
  });
});
