import * as E from 'fp-ts/lib/Either.js';
import { expect } from 'vitest';
import { fold } from '../../../domain/decider.js';
import type { Decider } from '../../../domain/decider.js';
import type { DomainErrorKind } from '../../../domain/errors.js';

export interface ErrorSpec {
  readonly kind: DomainErrorKind;
  readonly code: string;
  readonly msg?: unknown;
}

const isErrorSpec = (x: unknown): x is ErrorSpec => !Array.isArray(x);

/** given(events).when(command).then(events | error), for one decider. */
export const gwt =
  <C, Ev, S>(decider: Decider<C, Ev, S>) =>
  (events: readonly Ev[]) => ({
    when: (command: C) => {
      const result = decider.decide(command, fold(decider, events));
      return {
        result,
        then: (expected: readonly Ev[] | ErrorSpec): void => {
          if (isErrorSpec(expected)) expect(result).toMatchObject(E.left(expected));
          else expect(result).toEqual(E.right(expected));
        },
      };
    },
  });
