import { isBatchDelivery } from '../domain/delivery/batches.js';
import { deliveryChanges } from '../domain/delivery/engagement.js';
import { evolveUnits, isUnitEvent, storedUnitsOf } from '../domain/delivery/units.js';
import type { Fold } from './follow.js';

// Dispatch's fold: the delivery units (planned by MessageTriaged, moved by their streams'
// events) and what `nextStep` checks. It has no effects: dispatch acts when timers fire.
// A triage batch's steps and a batched event's are loaded as their group (one row each); a
// batched event's group is kept packed from read to write (state-work.ts `foldBatched`).
export const dispatchFold: Fold = async (event, at, work) => {
  work.deliveries(deliveryChanges(event, at));
  if (!isUnitEvent(event)) return undefined;
  // A plan's new groups, and a batched claim, skip or outcome: kept packed, where they can be.
  if (event.type === 'MessageTriaged' && (await work.planGroups(event, at))) return undefined;
  if (isBatchDelivery(event) && (await work.foldBatched(event, at))) return undefined;
  const stored = storedUnitsOf(event, at);
  await work.loadGroups(stored.groups);
  await work.load(stored.keys, event.type !== 'MessageTriaged' && stored.groups.length === 0);
  work.put(evolveUnits(event, at, work.view()));
  return undefined;
};
