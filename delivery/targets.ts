import type { StepMarkers } from '../domain/triage/escalation.js';
import { userAllows } from '../domain/triage/preferences.js';
import { THREAD_TOPIC } from '../domain/triage/topics.js';
import type { Content, OutgoingMessage, Recipient } from '../ports/channel.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { Device } from '../schema/devices.js';
import type { Contact, DirectoryMessage, Engagement, Profile, UnitState } from '../schema/delivery-state.js';
import type { DispatchChannel } from '../schema/triage-events.js';
import type { NameOf } from './people.js';

// What dispatch looks up before a unit: the markers `nextStep` decides on, the address to
// send to (the device or contact point as it is now), and the message as channels see it.
// Reads only; the decisions are domain/delivery/dispatch.ts and digest.ts.

const threadOf = (m: DirectoryMessage | undefined): string | undefined =>
  m?.data.audience.kind === 'thread' ? m.data.audience.tid : undefined;

export interface Targets {
  /** The message as channels see it, or undefined when the directory does not have it. */
  content(mid: string, names?: boolean): Promise<OutgoingMessage | undefined>;
  /** The address for a unit as the directory has it now, or undefined when it is gone. */
  recipient(
    uid: string,
    channel: DispatchChannel,
    deviceId: string | null,
    mid?: string | null,
  ): Promise<Recipient | undefined>;
  /** Markers for one message to one recipient on one channel; `reachable` is the caller's to fill. */
  markers(
    u: Pick<UnitState, 'uid' | 'channel' | 'collapse'> & { readonly mid: string; readonly deviceId?: string | null },
    reachable: boolean,
  ): Promise<StepMarkers>;
}

export const asContent = (messages: readonly OutgoingMessage[]): Content | undefined => {
  const [first, ...rest] = messages;
  if (first === undefined) return undefined;
  return rest.length === 0 ? { kind: 'message', message: first } : { kind: 'digest', messages: [first, ...rest] };
};

/** What the markers of a step of a message to a recipient are made of (read by the caller). */
export interface MarkerFacts {
  readonly state: { readonly status: string } | undefined;
  readonly cancelled: boolean;
  readonly engagement: Engagement;
  readonly collapsed: boolean;
  /** Opt-outs and contact points (a whole profile will do). */
  readonly profile: Contact | undefined;
}

/** The markers `nextStep` decides on, from what was read (a recipient's step, not the thread topic's). */
export const markersFrom = (channel: DispatchChannel, f: MarkerFacts, reachable: boolean): StepMarkers => ({
  cancelled: f.cancelled || f.state?.status === 'cancelled' || f.state?.status === 'retracted',
  seen: f.engagement.seen,
  read: f.engagement.read,
  collapsed: f.collapsed,
  optedOut: !userAllows(f.profile ?? { channels: [] }, channel),
  reachable,
});

/** A push step's address: the device as the directory has it now, if it fits the channel. */
export const pushRecipient = (
  uid: string,
  channel: 'webpush' | 'fcm' | 'apns',
  deviceId: string | null,
  device: Device | undefined,
): Recipient | undefined => {
  if (device === undefined || deviceId === null) return undefined;
  if (channel === 'webpush') return 'endpoint' in device ? { channel, uid, deviceId, subscription: device } : undefined;
  return 'token' in device ? { channel, uid, deviceId, token: device.token } : undefined;
};

/** An email or SMS step's address: the profile's contact point now. */
export const contactRecipient = (
  uid: string,
  channel: 'email' | 'sms',
  profile: Pick<Profile, 'email' | 'cell'> | undefined,
): Recipient | undefined => {
  if (channel === 'email') {
    const address = profile?.email ?? null;
    return address === null ? undefined : { channel, uid, address };
  }
  const number = profile?.cell ?? null;
  return number === null ? undefined : { channel, uid, number };
};

const NO_NAMES: NameOf = () => Promise.resolve(undefined);

export const createTargets = (state: DeliveryStateStore, nameOf: NameOf = NO_NAMES): Targets => {
  const dir = state.directory;
  const steps = state.units;
  return {
    // The author's name only for the channels that show it (MQTT): it costs a read.
    content: async (mid, names = false) => {
      const m = await dir.message(mid);
      if (m === undefined) return undefined;
      const d = m.data;
      const tid = threadOf(m);
      const [threadName, fromName] = await Promise.all([
        tid === undefined ? undefined : dir.thread(tid).then((t) => t?.name),
        names ? nameOf(d.from) : undefined,
      ]);
      return {
        mid: d.mid,
        from: d.from,
        msg: d.msg,
        opts: d.opts,
        urgency: d.urgency,
        at: d.scheduled ?? d.at,
        ...(tid === undefined ? {} : { tid }),
        ...(threadName === undefined ? {} : { threadName }),
        ...(fromName === undefined ? {} : { fromName }),
        ...(d.subject === undefined ? {} : { subject: d.subject }),
      };
    },
    recipient: async (uid, channel, deviceId, mid) => {
      switch (channel) {
        case 'webpush':
        case 'fcm':
        case 'apns':
          return pushRecipient(uid, channel, deviceId, deviceId === null ? undefined : await dir.device(uid, deviceId));
        case 'email':
        case 'sms':
          return contactRecipient(uid, channel, (await dir.contacts([uid])).get(uid));
        case 'mqtt': {
          if (deviceId !== THREAD_TOPIC) {
            const name = await nameOf(uid);
            return { channel, target: { kind: 'user', uid, ...(name === undefined ? {} : { name }) } };
          }
          // The thread topic's unit sits under the sender: the topic is the message's thread.
          const tid = threadOf(mid === undefined || mid === null ? undefined : await dir.message(mid));
          return tid === undefined ? undefined : { channel, target: { kind: 'thread', tid } };
        }
        default: {
          const unhandled: never = channel;
          return unhandled;
        }
      }
    },
    markers: async (u, reachable) => {
      const m = await dir.messageState(u.mid);
      const isCancelled = (): Promise<boolean> =>
        steps.cancelled(u.mid).then((c) => c || m?.status === 'cancelled' || m?.status === 'retracted');
      // The thread topic's unit is nobody's inbox: the sender's own receipts and opt-outs
      // (its uid) say nothing about it; only cancellation, expiry and the thread count.
      if (u.channel === 'mqtt' && u.deviceId === THREAD_TOPIC)
        return {
          cancelled: await isCancelled(),
          seen: false,
          read: false,
          collapsed: false,
          optedOut: false,
          reachable,
        };
      const tid = m?.tid ?? undefined;
      const [engagement, cancelled, collapsed, profiles] = await Promise.all([
        steps.engagement(u.uid, u.mid, tid),
        steps.cancelled(u.mid),
        u.collapse === null ? Promise.resolve(false) : steps.collapsed(u.uid, u.collapse, u.mid),
        dir.contacts([u.uid], tid),
      ]);
      return markersFrom(
        u.channel,
        { state: m, cancelled, engagement, collapsed, profile: profiles.get(u.uid) },
        reachable,
      );
    },
  };
};
