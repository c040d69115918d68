import { afterAll, describe, expect, it } from 'vitest';
import { call, nodeId, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { openLive, type TestSocket } from './realtime-socket.js';

// Scheduled messages go live when the durable scheduler records them due (MessageDue,
// delivery/scheduler.ts), not from a timer in the memory of the node that accepted them: the
// node is restarted between the publish and the due time, and a session opened on the new
// process gets the message live at its time. (With the old in-memory timer the restart lost it:
// the session got nothing.) Two nodes, the accepting one stopped: test/e2e/multinode.e2e.test.ts.
const LEAD_MS = 20_000; // publish -> due: room for a restart on a loaded machine and the production stack

const dataDir = tempDir();
const env = { MSGXC_LOG_LEVEL: 'warn', MSGXC_SCHEDULER_POLL_MS: '100', MSGXC_NODE_ID: nodeId('e2e-scheduled') };
let server: Server | undefined;
let socket: TestSocket | undefined;
afterAll(async () => {
  await socket?.close();
  await server?.stop();
  removeDir(dataDir);
});

describe('a scheduled message', () => {
  it('goes live at its time after the node that accepted it restarted', async () => {
    const first = await startServer({ dataDir, env });
    server = first;
    const admin = await token('root', ['admin']);
    const due = new Date(Date.now() + LEAD_MS);
    const r = await call(first, 'POST', '/api/v2/send', {
      token: admin,
      body: { uid: 'sched-sam', msg: 'at its time', scheduled: due.toISOString() },
    });
    expect(r.status, r.text).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    expect(await first.stop()).toBe(0);

    const second = await startServer({ dataDir, env });
    server = second;
    socket = await openLive(second, await token('sched-sam'));
    // Still before its time: what follows can only come from the live path.
    expect(Date.now(), 'the restart took longer than the lead time; raise LEAD_MS').toBeLessThan(due.getTime());
    expect(JSON.stringify(socket.frames)).not.toContain(mid);

    const frame = await socket.next((f) => f.type === 'message' && f.mid === mid, LEAD_MS + 20_000);
    expect(Date.now()).toBeGreaterThanOrEqual(due.getTime());
    expect(frame).toMatchObject({ msg: 'at its time', scheduled: due.toISOString() });
    // Recorded due once, by the scheduler.
    const triage = await call(second, 'GET', `/api/v2/streams/triage-${mid}`, { token: admin });
    const types = ((triage.body as { events?: { type: string }[] }).events ?? []).map((e) => e.type);
    expect(types.filter((t) => t === 'MessageDue')).toHaveLength(1);
  });
});
