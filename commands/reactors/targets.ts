import type { OutgoingMessage, Recipient } from '../../ports/channel.js';
import type { StepMarkers } from '../../domain/triage/escalation.js';
import { userAllows } from '../../domain/triage/preferences.js';
import type { DirectoryMessage, DirectoryQueries } from '../../projections/deliveries/directory-queries.js';
import type { StepQueries, StepRow } from '../../projections/deliveries/step-queries.js';
import type { DispatchChannel } from '../../schema/triage-events.js';

// What dispatch looks up before a step: the markers `nextStep` decides on, the address to
// send to (the device or contact point as it is now), and the message as channels see it.

const threadOf = (m: DirectoryMessage | undefined): string | undefined =>
  m?.data.audience.kind === 'thread' ? m.data.audience.tid : undefined;

export const outgoing = (dir: DirectoryQueries, m: DirectoryMessage): OutgoingMessage => {
  const d = m.data;
  const tid = threadOf(m);
  const threadName = tid === undefined ? undefined : dir.thread(tid)?.name;
  return {
    mid: d.mid,
    from: d.from,
    msg: d.msg,
    opts: d.opts,
    urgency: d.urgency,
    at: d.scheduled ?? d.at,
    ...(tid === undefined ? {} : { tid }),
    ...(threadName === undefined ? {} : { threadName }),
    ...(d.subject === undefined ? {} : { subject: d.subject }),
  };
};

/** The address for a unit as the directory has it now, or undefined when it is gone. */
export const recipientOf = (
  dir: DirectoryQueries,
  uid: string,
  channel: DispatchChannel,
  deviceId: string | null,
): Recipient | undefined => {
  switch (channel) {
    case 'webpush':
    case 'fcm':
    case 'apns': {
      const device = deviceId === null ? undefined : dir.device(uid, deviceId);
      if (device === undefined || deviceId === null) return undefined;
      if (channel === 'webpush')
        return 'endpoint' in device ? { channel, uid, deviceId, subscription: device } : undefined;
      return 'token' in device ? { channel, uid, deviceId, token: device.token } : undefined;
    }
    case 'email': {
      const address = dir.profile(uid).email;
      return address === null ? undefined : { channel, uid, address };
    }
    case 'sms': {
      const number = dir.profile(uid).cell;
      return number === null ? undefined : { channel, uid, number };
    }
    default: {
      const unhandled: never = channel;
      return unhandled;
    }
  }
};

/** Markers for one message to one recipient on one channel; `reachable` is the caller's to fill. */
export const markersOf = (
  dir: DirectoryQueries,
  steps: StepQueries,
  row: Pick<StepRow, 'uid' | 'channel' | 'collapse'> & { readonly mid: string },
  reachable: boolean,
): StepMarkers => {
  const m = dir.messageState(row.mid);
  const tid = m?.tid ?? undefined;
  const engagement = steps.engagement(row.uid, row.mid, tid);
  return {
    cancelled: steps.cancelled(row.mid) || m?.status === 'cancelled' || m?.status === 'retracted',
    seen: engagement.seen,
    read: engagement.read,
    collapsed: row.collapse !== null && steps.collapsed(row.uid, row.collapse, row.mid),
    optedOut: !userAllows(dir.profile(row.uid, tid), row.channel),
    reachable,
  };
};
