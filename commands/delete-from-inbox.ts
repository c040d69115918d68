import { onOwnInbox } from './own-inbox.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

export const deleteFromInbox =
  (deps: CommandDeps): Commands['deleteFromInbox'] =>
  (ctx, mids) =>
    onOwnInbox(deps, ctx, (uid) => ({ type: 'DeleteFromInbox', uid, mids }));
