import type { DirectoryChange, TimerChange } from '../../schema/delivery-state.js';
import type { DomainEvent } from '../../schema/events.js';
import type { At } from './units.js';

// Triage's directory as a fold: the recipients' devices, contact points and preferences, the
// threads' channel lists and subscribers, and the messages themselves, as idempotent changes
// (schema/delivery-state.ts says what each guarantees), plus the publish timers of scheduled
// messages. Pure: the runner commits the changes with its checkpoint.

export interface DirectoryFold {
  readonly directory: readonly DirectoryChange[];
  readonly timers: readonly TimerChange[];
}

const NONE: DirectoryFold = { directory: [], timers: [] };
const only = (...directory: DirectoryChange[]): DirectoryFold => ({ directory, timers: [] });
const publishTimer = (mid: string, at: number | null): TimerChange => ({ kind: 'publish', key: mid, at });

/** The event types the directory reads; others only move its checkpoint. */
export const DIRECTORY_EVENTS: ReadonlySet<string> = new Set([
  'UserRecognized',
  'DeviceEnlisted',
  'DeviceRevoked',
  'ContactPointsChanged',
  'ChannelPreferencesChanged',
  'UserErased',
  'TimePreferencesChanged',
  'ThreadCreated',
  'ThreadMemberAdded',
  'ThreadMemberRemoved',
  'MessagePublished',
  'AudienceChunk',
  'MessageCancelled',
  'MessageRetracted',
  'MessageDue',
]);

export const directoryChanges = (e: DomainEvent, at: At): DirectoryFold => {
  switch (e.type) {
    case 'UserRecognized':
      return only({ type: 'user-known', uid: e.data.uid, position: at.position });
    case 'DeviceEnlisted': {
      const { uid, deviceId, device } = e.data;
      return only(
        { type: 'user-known', uid, position: at.position },
        { type: 'device-enlisted', uid, deviceId, device, position: at.position, revision: at.revision },
      );
    }
    case 'DeviceRevoked':
      return only({ type: 'device-revoked', uid: e.data.uid, deviceId: e.data.deviceId, position: at.position });
    case 'ContactPointsChanged': {
      const { uid, email, cell } = e.data;
      return only({
        type: 'contact',
        uid,
        ...(email === undefined ? {} : { email }),
        ...(cell === undefined ? {} : { cell }),
      });
    }
    case 'UserErased':
      return only({ type: 'user-erased', uid: e.data.uid, position: at.position });
    case 'ChannelPreferencesChanged': {
      const { uid, tid, channels } = e.data;
      return only(
        tid === undefined ? { type: 'channels', uid, channels } : { type: 'thread-channels', uid, tid, channels },
      );
    }
    case 'TimePreferencesChanged': {
      const { uid, timezone, quietHours } = e.data;
      return only({
        type: 'time-preferences',
        uid,
        ...(timezone === undefined ? {} : { timezone }),
        ...(quietHours === undefined ? {} : { quietHours }),
      });
    }
    case 'ThreadCreated':
      return only({
        type: 'thread-created',
        tid: e.data.tid,
        name: e.data.name ?? null,
        channels: e.data.channels ?? [],
        fallback: e.data.fallback ?? [],
      });
    case 'ThreadMemberAdded':
    case 'ThreadMemberRemoved':
      // Only subscribers receive a thread's messages (as in the inbox read model).
      if (e.data.role !== 'subscriber') return NONE;
      return only({
        type: e.type === 'ThreadMemberAdded' ? 'member-joined' : 'member-left',
        tid: e.data.tid,
        uid: e.data.uid,
      });
    case 'MessagePublished': {
      const d = e.data;
      const a = d.audience;
      const listed = a.kind === 'user' ? [a.uid] : a.kind === 'users' ? a.uids : [];
      const scheduled = d.scheduled === undefined ? undefined : Date.parse(d.scheduled);
      return {
        directory: [
          ...listed.map((uid): DirectoryChange => ({ type: 'user-known', uid, position: at.position })),
          {
            type: 'message-published',
            message: {
              data: d,
              position: at.position,
              status: scheduled === undefined ? 'published' : 'scheduled',
              eventId: at.eventId,
              correlationId: at.correlationId,
            },
          },
        ],
        timers: scheduled === undefined ? [] : [publishTimer(d.mid, scheduled)],
      };
    }
    // A part of a chunked audience names its users as a multicast's list does (as in the inbox).
    case 'AudienceChunk':
      return {
        directory: e.data.uids.map((uid): DirectoryChange => ({ type: 'user-known', uid, position: at.position })),
        timers: [],
      };
    case 'MessageDue':
      return {
        directory: [{ type: 'message-status', mid: e.data.mid, status: 'due', from: ['scheduled'] }],
        timers: [publishTimer(e.data.mid, null)],
      };
    case 'MessageCancelled':
    case 'MessageRetracted':
      // Final: from any live status, never back.
      return {
        directory: [
          {
            type: 'message-status',
            mid: e.data.mid,
            status: e.type === 'MessageCancelled' ? 'cancelled' : 'retracted',
            from: ['scheduled', 'due', 'published'],
          },
        ],
        timers: [publishTimer(e.data.mid, null)],
      };
    default:
      return NONE;
  }
};
