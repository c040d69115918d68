import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../adapters/clock/clock.js';
import { openSqliteDeliveryState } from '../../adapters/delivery-state/sqlite.js';
import { openJetStreamEventStore } from '../../adapters/eventstore/jetstream.js';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { openJetStreamSnapshots } from '../../adapters/state-snapshot/jetstream-object.js';
import { restoreDeliveryState, startStateSnapshots, watchErasures } from '../../app/reactors-snapshots.js';
import { createCommands, type CommandSide } from '../../commands/index.js';
import { DISPATCH_REACTOR, startReactors, type Reactors } from '../../delivery/runner.js';
import { TRIAGE_REACTOR } from '../../delivery/triage.js';
import type { DeliveryStateStore } from '../../ports/delivery-state.js';
import type { EventStore } from '../../ports/eventstore.js';
import type { StateSnapshots } from '../../ports/state-snapshot.js';
import { streams } from '../../schema/events.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import { needs } from '../infra/needs.js';
import { natsClusterTargets, natsSingleTargets } from '../infra/nats-targets.js';
import { ctx, fakePresence, ok, recordingChannel, T0 } from './triage-harness.js';
import { watchedReads } from './fixtures/watched-log.js';

// A new reactors node starts from the stored snapshot of delivery's state
// (app/reactors-snapshots.ts) instead of replaying the log: node A follows a JetStream log,
// stores a snapshot in the cluster's object store and stops; more happens in the log; node B
// starts with no state file, restores the snapshot, reads the log only from the snapshot's
// position on, and delivers a message to a device enlisted after the snapshot. An erasure
// deletes the stored snapshot and replaces it by one that no longer holds the erased address.
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
const meta = {
  eventId: 'e',
  occurredAt: T0.toISOString(),
  actor: { uid: 'admin', roles: ['admin'] },
  correlationId: 'c',
  causationId: 'c',
};

const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const suite = (servers: readonly string[], replicas: number): void => {
  const id = randomBytes(4).toString('hex').toUpperCase();
  const dirs: string[] = [];
  const clock = fixedClock(T0);
  let store: EventStore;
  let snapshots: StateSnapshots;
  let commands: CommandSide;
  const node = (dir: string, log: EventStore, name: string) => {
    const file = join(dir, 'reactors.db');
    const snapshotter = startStateSnapshots({
      file,
      snapshots,
      everyMs: 0,
      followers: [TRIAGE_REACTOR, DISPATCH_REACTOR],
      log: silent,
      retryMs: 50,
    });
    const raw: DeliveryStateStore = openSqliteDeliveryState(file);
    const apns = recordingChannel('apns');
    const email = recordingChannel('email');
    const reactors: Reactors = startReactors({
      store: log,
      state: watchErasures(raw, (p) => {
        snapshotter.erased(p);
      }),
      presence: fakePresence(),
      channels: { apns, email },
      revokeDevice: commands.revokeDevice,
      clock,
      pollMs: 50,
      node: name,
    });
    return {
      file,
      snapshotter,
      apns,
      reactors,
      stop: async () => {
        await snapshotter.close();
        await reactors.stop();
        await raw.close();
      },
    };
  };
  const fresh = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-snap-'));
    dirs.push(dir);
    return dir;
  };
  const admin = () => ctx('admin', clock.now(), true);
  const user = (uid: string) => ctx(uid, clock.now());

  beforeAll(async () => {
    store = await openJetStreamEventStore({
      servers,
      replicas,
      streamName: `T_SNAP_${id}`,
      subjectPrefix: `tsnap${id.toLowerCase()}`,
    });
    snapshots = await openJetStreamSnapshots({ servers, bucket: `T_SNAP_${id}_REACTORS`, replicas });
    commands = createCommands({ store, ids: createIdGenerator() });
  });
  afterAll(async () => {
    await snapshots.close();
    await store.close();
    const nc = await connect({ servers: [...servers] });
    const jsm = await nc.jetstreamManager();
    for (const s of [`T_SNAP_${id}`, `OBJ_T_SNAP_${id}_REACTORS`]) await jsm.streams.delete(s).catch(() => false);
    await nc.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a new node restores the snapshot, reads the log from its position on and delivers', async () => {
    const a = node(fresh(), store, 'node-a');
    for (const u of ['u1', 'u2', 'u3']) {
      await ok(commands.recognize(user(u)));
      await ok(commands.enlist(user(u), { os: 'ios', token: `tok-${u}` }));
    }
    await ok(
      commands.send(admin(), asMessageId(createIdGenerator().messageId()), asUserId('u1'), { msg: 'before', opts: {} }),
    );
    await a.reactors.settle(20_000);
    expect(a.apns.calls.map((c) => ('uid' in c.to ? c.to.uid : ''))).toEqual(['u1']);
    const taken = await a.snapshotter.take();
    const head = await store.head();
    expect(taken?.position).toBe(head);
    await a.stop();

    // Written after the snapshot: a user and their device, then a message to them.
    await ok(commands.recognize(user('u4')));
    await ok(commands.enlist(user('u4'), { os: 'ios', token: 'tok-u4' }));

    const dir = fresh();
    const restored = await restoreDeliveryState(join(dir, 'reactors.db'), snapshots, silent);
    expect(restored?.position).toBe(head);
    const reads: number[] = [];
    const b = node(dir, watchedReads(store, reads), 'node-b');
    const mid = createIdGenerator().messageId();
    await ok(commands.send(admin(), asMessageId(mid), asUserId('u4'), { msg: 'after', opts: {} }));
    await until('the delivery to u4', () => b.apns.calls.length > 0);
    await b.reactors.settle(20_000);
    expect(b.apns.calls.map((c) => ['uid' in c.to ? c.to.uid : '', c.mids])).toEqual([['u4', [mid]]]);
    // Neither follower read the log before the snapshot's position.
    expect(reads.length).toBeGreaterThan(0);
    expect(Math.min(...reads)).toBeGreaterThanOrEqual(head);
    await b.stop();
  });

  it('an erasure deletes the stored snapshot and replaces it by one without the erased data', async () => {
    const a = node(fresh(), store, 'node-c');
    await ok(commands.recognize(user('u9')));
    await ok(commands.changeProfile(user('u9'), asUserId('u9'), { email: 'u9-secret@example.org' }));
    await a.reactors.settle(20_000);
    const before = await a.snapshotter.take();
    expect(before).toBeDefined();
    const copy = join(fresh(), 'reactors.db');
    await snapshots.restore(copy);
    expect(readFileSync(copy).includes('u9-secret@example.org')).toBe(true);

    const erased = await store.append(
      streams.user('u9'),
      [{ type: 'UserErased', data: { uid: 'u9' }, metadata: meta }],
      'any',
    );
    if (erased.kind !== 'appended') throw new Error('erasure not appended');
    await until(
      'a snapshot past the erasure',
      async () => ((await snapshots.newest())?.position ?? 0) >= erased.position,
    );
    const after = join(fresh(), 'reactors.db');
    await snapshots.restore(after);
    expect(readFileSync(after).includes('u9-secret@example.org')).toBe(false);
    await a.stop();
  });
};

for (const t of natsSingleTargets())
  needs(t.urlVar, `Reactor state snapshots on ${t.label} (R1)`, (url) => {
    suite([url], 1);
  });
for (const t of natsClusterTargets())
  needs(t.urlVar, `Reactor state snapshots on a ${t.label} cluster (R3)`, (urls) => {
    suite(urls.split(','), 3);
  });

describe('restoreDeliveryState', () => {
  it('leaves a node that has its state file alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-snap-'));
    const file = join(dir, 'reactors.db');
    const state = openSqliteDeliveryState(file);
    await state.close();
    let asked = 0;
    const none: StateSnapshots = {
      newest: () => Promise.resolve(undefined),
      put: () => Promise.reject(new Error('no')),
      restore: () => {
        asked += 1;
        return Promise.resolve(undefined);
      },
      clear: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    expect(await restoreDeliveryState(file, none, silent)).toBeUndefined();
    expect(asked).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});
