import type { DeviceMove } from '../../schema/delivery-state.js';
import { DEVICE_MOVED } from '../user.js';
import type { Intent } from './intents.js';

// A device (one push token or web push endpoint: one device id) belongs to one user at a time,
// the latest to enlist it: an app that switches account without a logout must not keep showing
// the previous account's pushes. The directory takes the device from its earlier holders the
// moment it folds the new enlistment (schema/delivery-state.ts `device-enlisted`: nothing is
// planned or sent to it for them from there on), and keeps each such enlistment as a move until
// its revocation is in the log; these rules say when triage's fold has moves to settle, and
// which revocations settle them (delivery/moves.ts performs them).

/**
 * The users `uid`'s enlistment of a device takes it from: those holding it before (the
 * directory's holders, and those who enlisted it earlier in the batch not committed yet), but
 * the enlisting user. Empty: nothing to settle (the same user enlisting it again moves nothing).
 */
export const takenFrom = (uid: string, holders: Iterable<string>): readonly string[] =>
  [...new Set(holders)].filter((h) => h !== uid);

/**
 * Each move is settled by revoking that enlistment, named by its revision in the user's stream:
 * the user command then revokes nothing if the user enlisted the device again since (the device
 * is theirs again) or it is already revoked (a replay of the log, a retry), so settling a move
 * twice, or after the fact, appends nothing.
 */
export const decideMoves = (moves: readonly DeviceMove[]): readonly Intent[] =>
  moves.map(
    (m): Intent => ({ kind: 'revoke', uid: m.uid, deviceId: m.deviceId, reason: DEVICE_MOVED, enlisted: m.revision }),
  );
