// Time comes in through this port so deciders and reactors can be tested with a controlled clock.
export interface Clock {
  now(): Date;
}
