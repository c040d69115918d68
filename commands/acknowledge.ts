import { onOwnInbox } from './own-inbox.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

// Receipts are the caller's own; whether each mid reached them is the read side's concern.
export const acknowledge =
  (deps: CommandDeps): Commands['acknowledge'] =>
  (ctx, mids, status, channel) =>
    onOwnInbox(deps, ctx, (uid) => ({
      type: 'Acknowledge',
      uid,
      mids,
      status,
      ...(channel !== undefined ? { channel } : {}),
    }));
