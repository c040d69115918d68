import type { TriageConfig } from './config.js';
import { isNearlineChannel } from './types.js';
import type { NearlineChannel, RecipientFacts, StepChannel, ThreadChannels } from './types.js';

// Who may be reached on which channel. Names in preference and thread lists are the channel
// kinds (websocket, apns, fcm, webpush, email, sms) or a group: `push` (apns, fcm, webpush),
// `native` (apns, fcm). A leading `~` opts out. A specific name wins over a group in the
// same list, so `["~push", "webpush"]` keeps web push only.
//
// Precedence: the user's preferences for the thread, then the user's own, then "allowed".
// The websocket is the inbox itself and always allowed: opting out of it is not a thing.
const GROUPS: Readonly<Record<string, readonly StepChannel[]>> = {
  push: ['apns', 'fcm', 'webpush'],
  native: ['apns', 'fcm'],
};

export type Verdict = 'in' | 'out' | undefined;

/** What one list says about a channel: named (specifically, else by a group), or nothing. */
export const verdict = (list: readonly string[], channel: StepChannel): Verdict => {
  let byGroup: Verdict;
  for (const entry of list) {
    const out = entry.startsWith('~');
    const name = out ? entry.slice(1) : entry;
    if (name === channel) return out ? 'out' : 'in';
    if (byGroup === undefined && GROUPS[name]?.includes(channel) === true) byGroup = out ? 'out' : 'in';
  }
  return byGroup;
};

/** The recipient has not opted out of the channel (for this thread, or at all). */
export const userAllows = (r: Pick<RecipientFacts, 'channels' | 'threadChannels'>, channel: StepChannel): boolean => {
  if (channel === 'websocket') return true;
  const decided =
    (r.threadChannels === undefined ? undefined : verdict(r.threadChannels, channel)) ?? verdict(r.channels, channel);
  return decided !== 'out';
};

/** A thread that lists channels allows those only (a list of opt-outs only removes those). */
export const threadAllows = (thread: ThreadChannels | undefined, channel: StepChannel): boolean => {
  if (channel === 'websocket' || thread === undefined || thread.channels.length === 0) return true;
  const v = verdict(thread.channels, channel);
  if (v !== undefined) return v === 'in';
  return thread.channels.every((c) => c.startsWith('~'));
};

/**
 * The nearline channels in escalation order: the thread's fallback list when it names any,
 * else the configured default restricted to the thread's channel list.
 */
export const nearlineOrder = (
  thread: ThreadChannels | undefined,
  config: Pick<TriageConfig, 'nearline'>,
): readonly NearlineChannel[] => {
  const fallback = (thread?.fallback ?? []).filter((c): c is NearlineChannel => isNearlineChannel(c));
  if (fallback.length > 0) return [...new Set(fallback)];
  return config.nearline.filter((c) => threadAllows(thread, c));
};
