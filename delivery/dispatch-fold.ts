import { deliveryChanges } from '../domain/delivery/engagement.js';
import { evolveUnits, isUnitEvent, unitKeysOf } from '../domain/delivery/units.js';
import type { Fold } from './follow.js';

// Dispatch's fold: the delivery units (planned by MessageTriaged, moved by their streams'
// events) and what `nextStep` checks. It has no effects: dispatch acts when timers fire.
export const dispatchFold: Fold = async (event, at, work) => {
  work.deliveries(deliveryChanges(event, at));
  if (isUnitEvent(event)) work.put(evolveUnits(event, at, await work.units(unitKeysOf(event))));
  return undefined;
};
