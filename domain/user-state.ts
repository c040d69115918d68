import type { Device } from '../schema/devices.js';
import type { UserEvent } from '../schema/events.js';
import type { DeviceId, ThreadId } from '../schema/ids.js';
import type { JsonObject } from '../schema/json.js';
import type { QuietHours } from '../schema/local-time.js';

// A user has no lifecycle beyond "how we first learned of them", so the state is one
// record; recognition is a field rather than a stage because profile and device events can
// precede it (an admin may set a contact point for a user who has not signed in yet).
export interface EnlistedDevice {
  readonly deviceId: DeviceId;
  readonly device: Device;
  /**
   * The revision of the user's stream at which it was enlisted (this very enlistment): a device
   * another user enlisted since is revoked only if it is still this enlistment (domain/user.ts).
   */
  readonly revision: number;
}

export interface UserState {
  readonly recognized: 'no' | 'addressed' | 'token';
  /** Oldest first; the newest device is last. */
  readonly devices: readonly EnlistedDevice[];
  readonly email: string | null;
  readonly cell: string | null;
  readonly channels: readonly string[];
  readonly threadChannels: ReadonlyMap<ThreadId, readonly string[]>;
  readonly attributes: JsonObject;
  /** IANA zone, for quiet hours and local-time schedules (docs/campaigns.md). */
  readonly timezone: string | null;
  readonly quietHours: QuietHours | null;
  /** The revision of the stream's last event folded (-1: none): what names an enlistment. */
  readonly revision: number;
}

export const initialUserState = (): UserState => ({
  recognized: 'no',
  devices: [],
  email: null,
  cell: null,
  channels: [],
  threadChannels: new Map(),
  attributes: {},
  timezone: null,
  quietHours: null,
  revision: -1,
});

const withoutDevice = (devices: readonly EnlistedDevice[], deviceId: DeviceId): EnlistedDevice[] =>
  devices.filter((d) => d.deviceId !== deviceId);

// Every event of the stream is folded once, in order, from the initial state (commands/
// stream-state.ts), so counting them gives each its revision.
export const evolveUser = (state: UserState, event: UserEvent): UserState => ({
  ...evolveFacts(state, event),
  revision: state.revision + 1,
});

const evolveFacts = (state: UserState, event: UserEvent): UserState => {
  switch (event.type) {
    case 'UserRecognized':
      return state.recognized === 'token' ? state : { ...state, recognized: event.data.via };
    case 'DeviceEnlisted':
      return {
        ...state,
        devices: [
          ...withoutDevice(state.devices, event.data.deviceId),
          { deviceId: event.data.deviceId, device: event.data.device, revision: state.revision + 1 },
        ],
      };
    case 'DeviceRevoked':
      return { ...state, devices: withoutDevice(state.devices, event.data.deviceId) };
    case 'ContactPointsChanged':
      return {
        ...state,
        ...(event.data.email !== undefined ? { email: event.data.email } : {}),
        ...(event.data.cell !== undefined ? { cell: event.data.cell } : {}),
      };
    case 'ChannelPreferencesChanged': {
      const { tid, channels } = event.data;
      return tid === undefined
        ? { ...state, channels }
        : { ...state, threadChannels: new Map(state.threadChannels).set(tid, channels) };
    }
    case 'UserAttributesChanged':
      return { ...state, attributes: event.data.attributes };
    // Erased: nothing personal is left (docs/gdpr.md); that the user was known is not personal data.
    case 'UserErased':
      return { ...initialUserState(), recognized: state.recognized };
    case 'TimePreferencesChanged':
      return {
        ...state,
        ...(event.data.timezone !== undefined ? { timezone: event.data.timezone } : {}),
        ...(event.data.quietHours !== undefined ? { quietHours: event.data.quietHours } : {}),
      };
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
};
