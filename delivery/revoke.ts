import type { CommandResult } from '../commands/types.js';
import type { RevokeDevice } from '../commands/revoke-device.js';
import type { Clock } from '../ports/clock.js';
import { asDeviceId, asUserId } from '../schema/ids.js';
import { REACTOR_ACTOR } from './append.js';
import type { ReactorLog } from './types.js';

// A device a provider reported gone, or another user enlisted (delivery/moves.ts), is revoked
// through the user command the node already has (commands/revoke-device.ts, through the write
// gateway), as the reactor.
export type Revoke = RevokeDevice;

export interface Revocation {
  readonly uid: string;
  readonly deviceId: string;
  readonly reason: string;
  /** Only the enlistment at this revision of the user's stream. */
  readonly enlisted?: number;
}

export const revoker =
  (revokeDevice: RevokeDevice, clock: Clock, log: ReactorLog) =>
  async (i: Revocation, correlationId: string): Promise<CommandResult> => {
    const ctx = {
      actor: { uid: REACTOR_ACTOR.uid, roles: [...REACTOR_ACTOR.roles] },
      now: clock.now(),
      correlationId,
    };
    const revoked = await revokeDevice(ctx, asUserId(i.uid), asDeviceId(i.deviceId), i.reason, i.enlisted);
    if (revoked._tag === 'Left')
      log.warn(
        { uid: i.uid, deviceId: i.deviceId, reason: i.reason, error: revoked.left },
        'could not revoke a device',
      );
    return revoked;
  };
