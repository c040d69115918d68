import { decideMoves } from '../domain/delivery/moves.js';
import type { Clock } from '../ports/clock.js';
import type { DirectoryReads } from '../ports/delivery-state.js';
import type { Revoke } from './revoke.js';
import { revoker } from './revoke.js';
import type { ReactorLog } from './types.js';

// Settles the moves of a device (domain/delivery/moves.ts): triage's fold returns this as the
// effect of an enlistment that took a device from another user, so it runs once the directory
// has the enlistment committed, and the follower passes the enlistment only once it succeeded
// (a crash in between runs it again: the revocations are guarded, domain/user.ts). A log that
// cannot take the revocation fails the effect, which the follower retries; the device is out of
// the directory meanwhile, so nothing reaches it for its earlier holders.
export const mover = (
  revokeDevice: Revoke,
  directory: Pick<DirectoryReads, 'moves'>,
  clock: Clock,
  log: ReactorLog,
): ((deviceId: string, correlationId: string) => Promise<void>) => {
  const revoke = revoker(revokeDevice, clock, log);
  return async (deviceId, correlationId) => {
    for (const intent of decideMoves(await directory.moves(deviceId))) {
      if (intent.kind !== 'revoke') continue;
      const revoked = await revoke(intent, correlationId);
      if (revoked._tag === 'Left' && revoked.left.kind === 'unavailable')
        throw new Error(`could not revoke device ${deviceId} of ${intent.uid}: ${revoked.left.msg}`);
    }
  };
};
