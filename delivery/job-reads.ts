import type { DeliveryStateStore, DirectoryReads, UnitReads } from '../ports/delivery-state.js';
import type { Device } from '../schema/devices.js';
import type { Contact, Engagement, UnitState } from '../schema/delivery-state.js';
import type { MarkerFacts } from './targets.js';

// What one dispatch job reads, gathered: the due units of one channel from one pass are
// mostly one message's, so the message's state and cancellation are read once per job, not
// once per unit; the recipients' opt-outs and contact points in one batched read per thread
// (`contacts`: not their devices and times, which a job does not use); their devices (push)
// with their addresses in one read; receipts, read markers and collapse keys in a
// statement per message. Reads only, and only for the job's lifetime: a job decides on the
// state as it was when it started, as it did unit by unit.
//
// Besides the store's interface answered from what was read (for digests and MQTT, which
// read more), `facts` answers a step's facts synchronously, so a job decides its steps in one
// pass without a promise per unit (a broadcast's job has up to a few thousand).

type MessageState = Awaited<ReturnType<DirectoryReads['messageState']>>;

export interface JobFacts {
  /** A step's markers' facts, or undefined when the job did not read them (ask the store). */
  markerFacts(u: UnitState): MarkerFacts | undefined;
  /** A push step's device: undefined when gone; `unread` when the job did not read the user's devices. */
  device(uid: string, deviceId: string): Device | undefined | 'unread';
}

const PUSH: ReadonlySet<string> = new Set(['webpush', 'fcm', 'apns']);

export const jobReads = async (
  state: DeliveryStateStore,
  units: readonly UnitState[],
): Promise<{ readonly state: DeliveryStateStore; readonly facts: JobFacts }> => {
  const dir = state.directory;
  const mids = new Set<string>();
  for (const u of units) if (u.mid !== null) mids.add(u.mid);
  const states = new Map<string, MessageState>();
  const cancelled = new Map<string, boolean>();
  for (const mid of mids) {
    states.set(mid, await dir.messageState(mid));
    cancelled.set(mid, await state.units.cancelled(mid));
  }
  const tidOf = (mid: string): string | undefined => states.get(mid)?.tid ?? undefined;

  // What was read is kept as the store answered it, in maps by thread and by message, not
  // copied into maps keyed by a string made per unit (`tid\0uid`, `mid\0tid\0uid`): a
  // broadcast's job has a few thousand units, and those keys and entries were a twentieth of
  // the allocations of the triage bench's timed part (issue 13).
  const byThread = new Map<string | undefined, Set<string>>();
  // Receipts, read markers and collapse keys of the job's recipients, per message (and collapse key).
  const byMessage = new Map<string, { tid: string | undefined; uids: Set<string>; ckeys: Set<string> }>();
  const pushUids = new Set<string>();
  for (const u of units) {
    if (u.mid === null) continue;
    const tid = tidOf(u.mid);
    const uids = byThread.get(tid) ?? new Set<string>();
    byThread.set(tid, uids.add(u.uid));
    const m = byMessage.get(u.mid) ?? { tid, uids: new Set<string>(), ckeys: new Set<string>() };
    byMessage.set(u.mid, m);
    m.uids.add(u.uid);
    if (u.collapse !== null) m.ckeys.add(u.collapse);
    if (u.kind === 'step' && PUSH.has(u.channel) && u.deviceId !== null) pushUids.add(u.uid);
  }
  // Opt-outs and contact points of the job's recipients, by the thread of each unit's message.
  const profiles = new Map<string | undefined, ReadonlyMap<string, Contact>>();
  for (const [tid, uids] of byThread) profiles.set(tid, await dir.contacts([...uids], tid));
  const devices =
    pushUids.size === 0 ? new Map<string, ReadonlyMap<string, Device>>() : await dir.devicesOf([...pushUids]);

  // Contact points, devices and user-level preferences do not depend on the thread: a read
  // without one (an email's address) is answered from the profile read with a unit's thread
  // (the last thread read that has the user, as a map by uid filled thread after thread held).
  const threadsRead = [...profiles.values()].reverse();
  const withoutThread = (uid: string, tid: string | undefined): Contact | undefined => {
    if (tid !== undefined) return undefined;
    for (const read of threadsRead) {
      const p = read.get(uid);
      if (p !== undefined) return { email: p.email, cell: p.cell, channels: p.channels };
    }
    return undefined;
  };
  const profileOf = (uid: string, tid: string | undefined): Contact | undefined =>
    profiles.get(tid)?.get(uid) ?? withoutThread(uid, tid);

  // Per message: the thread its engagements were read with, and each collapse key's recipients
  // read with the ones a newer message collapses.
  const engaged = new Map<string, { tid: string | undefined; of: ReadonlyMap<string, Engagement> }>();
  const collapsed = new Map<string, { uids: ReadonlySet<string>; newer: Map<string, ReadonlySet<string>> }>();
  for (const [mid, m] of byMessage) {
    const uids = [...m.uids];
    engaged.set(mid, { tid: m.tid, of: await state.units.engagements(uids, mid, m.tid) });
    const newer = new Map<string, ReadonlySet<string>>();
    for (const ckey of m.ckeys) newer.set(ckey, await state.units.collapsedAmong(uids, ckey, mid));
    collapsed.set(mid, { uids: m.uids, newer });
  }
  const engagementOf = (uid: string, mid: string, tid: string | undefined): Engagement | undefined => {
    const e = engaged.get(mid);
    return e === undefined || e.tid !== tid ? undefined : e.of.get(uid);
  };
  const collapsedOf = (uid: string, ckey: string, mid: string): boolean | undefined => {
    const c = collapsed.get(mid);
    const newer = c?.newer.get(ckey);
    return c === undefined || newer === undefined || !c.uids.has(uid) ? undefined : newer.has(uid);
  };

  const directory: DirectoryReads = {
    ...dir,
    messageState: (mid) => (states.has(mid) ? Promise.resolve(states.get(mid)) : dir.messageState(mid)),
    contacts: async (uids, tid) => {
      const known = uids.map((uid) => profileOf(uid, tid));
      if (known.every((p) => p !== undefined)) return new Map(uids.map((uid, i) => [uid, known[i] as Contact]));
      return dir.contacts(uids, tid);
    },
    device: (uid, deviceId) => {
      const mine = devices.get(uid);
      return mine === undefined ? dir.device(uid, deviceId) : Promise.resolve(mine.get(deviceId));
    },
  };
  const reads: UnitReads = {
    ...state.units,
    cancelled: (mid) => {
      const c = cancelled.get(mid);
      return c === undefined ? state.units.cancelled(mid) : Promise.resolve(c);
    },
    engagement: (uid, mid, tid) => {
      const e = engagementOf(uid, mid, tid);
      return e === undefined ? state.units.engagement(uid, mid, tid) : Promise.resolve(e);
    },
    collapsed: (uid, ckey, mid) => {
      const c = collapsedOf(uid, ckey, mid);
      return c === undefined ? state.units.collapsed(uid, ckey, mid) : Promise.resolve(c);
    },
  };
  const facts: JobFacts = {
    markerFacts: (u) => {
      if (u.mid === null || !states.has(u.mid)) return undefined;
      const s = states.get(u.mid);
      const tid = s?.tid ?? undefined;
      const engagement = engagementOf(u.uid, u.mid, tid);
      const isCollapsed = u.collapse === null ? false : collapsedOf(u.uid, u.collapse, u.mid);
      const profile = profileOf(u.uid, tid);
      if (engagement === undefined || isCollapsed === undefined || profile === undefined) return undefined;
      return { state: s, cancelled: cancelled.get(u.mid) ?? false, engagement, collapsed: isCollapsed, profile };
    },
    device: (uid, deviceId) => {
      const mine = devices.get(uid);
      return mine === undefined ? 'unread' : mine.get(deviceId);
    },
  };
  return { state: { ...state, directory, units: reads }, facts };
};
