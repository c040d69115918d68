import type { Either } from 'fp-ts/lib/Either.js';
import type { DomainError } from './errors.js';

// The whole decider contract (after emmett): a pure fold plus a pure decision.
// `decide` returns no events when the command is already satisfied (idempotent by state).
export interface Decider<C, E, S> {
  readonly initialState: () => S;
  readonly evolve: (state: S, event: E) => S;
  readonly decide: (command: C, state: S) => Either<DomainError, readonly E[]>;
}

export const fold = <E, S>(d: Pick<Decider<unknown, E, S>, 'initialState' | 'evolve'>, events: readonly E[]): S =>
  events.reduce(d.evolve, d.initialState());
