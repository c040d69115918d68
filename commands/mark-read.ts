import { onOwnInbox } from './own-inbox.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

export const markRead =
  (deps: CommandDeps): Commands['markRead'] =>
  (ctx, mid, tid) =>
    onOwnInbox(deps, ctx, (uid) => ({ type: 'MarkRead', uid, mid, ...(tid !== undefined ? { tid } : {}) }));
