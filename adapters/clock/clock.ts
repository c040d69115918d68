import type { Clock } from '../../ports/clock.js';

// The system clock, and a clock tests set and advance by hand.
export const systemClock: Clock = { now: () => new Date() };

export const fixedClock = (start: Date): Clock & { advance(ms: number): void; set(d: Date): void } => {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (d) => {
      current = d.getTime();
    },
  };
};
