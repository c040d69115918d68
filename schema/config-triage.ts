import * as t from 'io-ts';
import { BoolFromString, IntFromString } from './env-codecs.js';

// Delivery reactors (triage, dispatch, scheduler; commands/reactors/). The urgency table's
// delays are the product defaults (domain/triage/urgency.ts); these settings adjust them
// for a deployment, or compress them for demos and end-to-end tests.
const Scale = t.refinement(
  t.string,
  (s) => /^\d+(\.\d+)?$/.test(s) && Number(s) > 0 && Number(s) <= 1000,
  'a positive number (e.g. 0.001)',
);

export const TriageEnv = t.partial({
  MSGXC_REACTORS: BoolFromString,
  /** Multiplies every push and nearline delay of the urgency table (1 = as documented). */
  MSGXC_TRIAGE_TIME_SCALE: Scale,
  MSGXC_DIGEST_WINDOW_MS: IntFromString('MSGXC_DIGEST_WINDOW_MS', 1000, 7 * 24 * 3600_000),
  MSGXC_SCHEDULER_POLL_MS: IntFromString('MSGXC_SCHEDULER_POLL_MS', 10, 60_000),
});

export interface TriageSettings {
  readonly enabled: boolean;
  readonly timeScale: number;
  readonly digestWindowMs?: number;
  readonly pollMs: number;
}

export const triageSettings = (e: t.TypeOf<typeof TriageEnv>): TriageSettings => ({
  enabled: e.MSGXC_REACTORS ?? true,
  timeScale: e.MSGXC_TRIAGE_TIME_SCALE === undefined ? 1 : Number(e.MSGXC_TRIAGE_TIME_SCALE),
  ...(e.MSGXC_DIGEST_WINDOW_MS !== undefined ? { digestWindowMs: e.MSGXC_DIGEST_WINDOW_MS } : {}),
  pollMs: e.MSGXC_SCHEDULER_POLL_MS ?? 1000,
});
