import type { DeadLetter } from '../ports/follower.js';
import { KNOWN_TYPES } from './decode.js';

/** Adds dead letters to a follower's `skipped()` counts: types outside the schema, and the rest. */
export const countSkipped = (into: { unknown: number; invalid: number }, dead: readonly DeadLetter[]): void => {
  for (const d of dead)
    if (KNOWN_TYPES.has(d.type)) into.invalid += 1;
    else into.unknown += 1;
};
