import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyPSet, pAdd, pDelete, pHas, pValues } from '../../../domain/pset.js';
import { threadDecider } from '../../../domain/thread.js';
import type { ThreadState } from '../../../domain/thread-state.js';
import { hasRole } from '../../../domain/thread-state.js';
import { caller, tid, uid } from './fixtures.js';

const T = tid('t');
// The owner may always subscribe; the others only to a thread open to subscribers. On a
// closed thread a stranger is told it does not exist, whether subscribing or unsubscribing.
const people = ['owner', 'ann', 'ben', 'cy', 'dee'];

describe('thread membership fold', () => {
  it('leaves each user subscribed exactly when their last command was subscribe', () => {
    const command = fc.record({ who: fc.constantFrom(...people), subscribe: fc.boolean() });
    fc.assert(
      fc.property(fc.boolean(), fc.array(command, { maxLength: 60 }), (opens, commands) => {
        let state: ThreadState = threadDecider.evolve(threadDecider.initialState(), {
          type: 'ThreadCreated',
          data: { tid: T, owner: uid('owner'), opens, openp: false },
        });
        const last = new Map<string, boolean>();
        for (const { who, subscribe } of commands) {
          const by = caller(who);
          const decision = threadDecider.decide(
            subscribe
              ? { type: 'Subscribe', tid: T, caller: by }
              : { type: 'Unsubscribe', tid: T, uid: by.uid, caller: by },
            state,
          );
          if (E.isLeft(decision)) {
            expect(!opens && who !== 'owner').toBe(true);
            continue;
          }
          state = decision.right.reduce(threadDecider.evolve, state);
          last.set(who, subscribe);
        }
        if (state.stage !== 'Active') throw new Error('thread vanished');
        for (const who of people) expect(hasRole(state, uid(who), 'subscriber')).toBe(last.get(who) === true);
        expect(state.subscribers.size).toBe([...last.values()].filter(Boolean).length);
      }),
    );
  });
});

describe('PSet', () => {
  it('behaves like a Set and never changes an earlier version', () => {
    // A small value space makes deletes hit, and sets outgrow a single leaf (> 32).
    const op = fc.record({ add: fc.boolean(), value: fc.integer({ min: 0, max: 150 }).map(String) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        let set = emptyPSet;
        const model = new Set<string>();
        for (const { add, value } of ops) {
          const before = pValues(set).sort();
          const next = add ? pAdd(set, value) : pDelete(set, value);
          expect(pValues(set).sort()).toEqual(before);
          if (add) model.add(value);
          else model.delete(value);
          set = next;
          expect(pHas(set, value)).toBe(add);
        }
        expect(pValues(set).sort()).toEqual([...model].sort());
        expect(set.size).toBe(model.size);
      }),
    );
  });
  it('splits into a trie once it grows, and holds every value', () => {
    const values = Array.from({ length: 5000 }, (_, i) => `u${i}`);
    const big = values.reduce(pAdd, emptyPSet);
    expect('children' in big.root).toBe(true);
    expect(pValues(big).sort()).toEqual([...values].sort());
    expect(values.every((v) => pHas(big, v))).toBe(true);
    const smaller = values.slice(0, 2500).reduce(pDelete, big);
    expect(smaller.size).toBe(2500);
    expect(pHas(smaller, 'u0')).toBe(false);
    expect(pHas(smaller, 'u4999')).toBe(true);
  });
});
