import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDeliveryState } from '../../adapters/delivery-state/sqlite.js';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { startReactors } from '../../delivery/runner.js';
import { silentLog } from '../../delivery/types.js';
import { createUnitWriter } from '../../delivery/writer.js';
import { groupStream, stepKey } from '../../domain/triage/keys.js';
import type { UnitState } from '../../schema/delivery-state.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import { T0, ctx, ok, recordingChannel, subscription, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

// Claims and outcomes batched per group stream (a channel of a triage batch, issues 13, 15):
// two dispatchers on one log race for the same groups. The group's revision guards every
// batched claim; a dispatcher whose claim met a moved group drops the units the events since
// touched and claims the rest, so no unit is sent twice, every unit is sent, and the log
// holds one claim event per group and job rather than one per recipient.
let w: World;
afterEach(async () => {
  await w.close();
});

const USERS = 240;
const sizes = { webpush: 20, fcm: 500, apns: 500, email: 1000, sms: 100, mqtt: 500 };

describe('batched claims and outcomes with two dispatchers on one log', () => {
  it('send every unit exactly once, with one claim event per group and job', async () => {
    w = world({ node: 'node-a', triage: { batchSize: 80 }, dispatch: { batchSizes: sizes } });
    const users = Array.from({ length: USERS }, (_, i) => asUserId(`u${String(i).padStart(3, '0')}`));
    for (const u of users) await ok(w.commands.enlist(ctx(u, w.now()), subscription(u)));
    const other = recordingChannel('webpush');
    const state = openSqliteDeliveryState(join(w.dir, 'reactors-b.db'));
    const b = startReactors({
      store: w.store,
      state,
      revokeDevice: (...args) => w.commands.revokeDevice(...args),
      clock: w.clock,
      presence: w.presence,
      channels: { webpush: other },
      pollMs: 60_000,
      node: 'node-b',
      triage: { batchSize: 80 },
      dispatch: { batchSizes: sizes },
    });
    try {
      const mid = asMessageId(createIdGenerator(() => T0.getTime()).messageId());
      await ok(w.commands.multicast(ctx('admin', w.now(), true), mid, users, { msg: 'hi', opts: {} }));
      await Promise.all([w.reactors.settle(), b.settle()]);
      await Promise.all([w.reactors.settle(), b.settle()]);
      const ids = [...w.channels.webpush.calls, ...other.calls].map((c) => c.id);
      expect(ids).toHaveLength(USERS);
      expect(new Set(ids).size).toBe(USERS);
      // The per-unit story, from the batched events expanded: one claim and one success each.
      const succeeded = await w.events('DeliverySucceeded');
      expect(new Set(succeeded.map((e) => (e.data as { key: string }).key)).size).toBe(USERS);
      expect(succeeded).toHaveLength(USERS);
      expect(await w.events('DeliveryAttempted')).toHaveLength(USERS);
      // ...written batched: three group streams (240 recipients / 80), a few events in each.
      const raw = await w.store.readAll({ after: 0, limit: 100_000 });
      const claims = raw.filter((e) => e.type === 'DeliveriesClaimed');
      expect(new Set(claims.map((e) => e.stream))).toEqual(
        new Set([0, 1, 2].map((n) => `deliveries-${mid}/webpush/${String(n)}`)),
      );
      expect(claims.length).toBeLessThanOrEqual(USERS / 20);
      expect(raw.filter((e) => e.type === 'DeliveryAttempted' || e.type === 'DeliverySucceeded')).toEqual([]);
    } finally {
      await b.stop();
      await state.close();
    }
  });
});

describe('the group writer when another dispatcher moved the group first', () => {
  it('drops the units the events since touched and writes the others at the new head', async () => {
    w = world();
    const writer = createUnitWriter({ store: w.store, clock: w.clock, log: silentLog, stopped: () => false });
    const mid = asMessageId(createIdGenerator(() => T0.getTime()).messageId());
    const stream = groupStream(mid, 'email', 0);
    const planned = (uid: string): UnitState => ({
      key: stepKey({ mid, uid, channel: 'email' }),
      kind: 'step',
      mid,
      uid,
      channel: 'email',
      deviceId: null,
      digest: null,
      collapse: null,
      urgency: 3,
      due: T0.getTime(),
      expiresAt: T0.getTime() + 3_600_000,
      cause: 'triage@0',
      correlationId: 'corr',
      stage: { status: 'pending' },
      at: T0.getTime(),
      attempt: 0,
      stream,
      revision: -1,
      waiting: [],
    });
    const claimOf = (u: UnitState, node: string) => ({
      unit: u,
      revision: u.revision,
      events: [
        {
          type: 'DeliveryAttempted' as const,
          data: {
            key: u.key,
            uid: asUserId(u.uid),
            channel: u.channel,
            mid,
            attempt: 0,
            node,
            run: 'r',
            leaseUntil: T0.toISOString(),
          },
        },
      ],
    });
    const [ann, bob, cat] = ['ann', 'bob', 'cat'].map(planned);
    if (ann === undefined || bob === undefined || cat === undefined) throw new Error('units');
    // Node B claimed bob first (and its outcome followed); node A decided on the state before.
    const first = createUnitWriter({ store: w.store, clock: w.clock, log: silentLog, stopped: () => false });
    expect([...(await first.writeGroup(stream, [claimOf(bob, 'node-b')]))]).toEqual([[bob.key, 0]]);
    const written = await writer.writeGroup(stream, [
      claimOf(ann, 'node-a'),
      claimOf(bob, 'node-a'),
      claimOf(cat, 'node-a'),
    ]);
    expect([...written]).toEqual([
      [ann.key, 1],
      [cat.key, 1],
    ]);
    const claims = (await w.events('DeliveryAttempted')).map((e) => {
      const d = e.data as { uid: string; node: string };
      return `${d.uid}:${d.node}`;
    });
    expect(claims).toEqual(['bob:node-b', 'ann:node-a', 'cat:node-a']);
    expect((await w.store.read(stream)).map((e) => e.type)).toEqual(['DeliveriesClaimed', 'DeliveriesClaimed']);
    // What it wrote is remembered per group (issue 13: no memory per step of a broadcast): the
    // group is ahead of a fold that has not applied revision 1, and no longer once it has.
    expect(writer.isGroupAhead(stream, 0)).toBe(true);
    expect(writer.isAhead({ ...ann, revision: 0 })).toBe(false);
    expect(writer.isGroupAhead(stream, 1)).toBe(false);
    expect(writer.isGroupAhead(stream, 0)).toBe(false);
  });
});
