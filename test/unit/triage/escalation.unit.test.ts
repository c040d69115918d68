import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextStep } from '../../../domain/triage/escalation.js';
import type { StepMarkers } from '../../../domain/triage/escalation.js';
import { MINUTE, T0 } from './fixtures.js';

// Before every step: Given what is known about the recipient and the message, When the step
// comes due (or is looked at early), Then send, skip (with the reason) or wait.
const nothing: StepMarkers = {
  cancelled: false,
  seen: false,
  read: false,
  collapsed: false,
  optedOut: false,
  reachable: true,
};
const at = (afterMs: number) => ({ at: T0 + afterMs, expiresAt: T0 + 60 * MINUTE });
const given = (markers: Partial<StepMarkers>) => ({
  when: (now: number, step = at(0)) => ({
    then: (expected: ReturnType<typeof nextStep>) => {
      expect(nextStep(step, { ...nothing, ...markers }, now)).toEqual(expected);
    },
  }),
});

describe('nextStep', () => {
  it('sends a due step when nothing stops it', () => {
    given({}).when(T0).then({ kind: 'send' });
    given({})
      .when(T0 + MINUTE)
      .then({ kind: 'send' });
  });
  it('waits for a step that is not due yet', () => {
    given({})
      .when(T0, at(5 * MINUTE))
      .then({ kind: 'wait', until: T0 + 5 * MINUTE });
  });
  it('stops the chain once the message was seen or read on any device or channel', () => {
    given({ seen: true }).when(T0).then({ kind: 'skip', reason: 'seen' });
    given({ seen: true, read: true }).when(T0).then({ kind: 'skip', reason: 'read' });
    // ... even before the step is due: it can never happen.
    given({ read: true })
      .when(T0, at(5 * MINUTE))
      .then({ kind: 'skip', reason: 'read' });
  });
  it('skips what was cancelled (or retracted), and what a newer message with the same collapse key replaced', () => {
    given({ cancelled: true, read: true }).when(T0).then({ kind: 'skip', reason: 'cancelled' });
    given({ collapsed: true }).when(T0).then({ kind: 'skip', reason: 'collapsed' });
  });
  it('delivers nothing after expiry', () => {
    given({})
      .when(T0 + 60 * MINUTE)
      .then({ kind: 'send' });
    given({})
      .when(T0 + 60 * MINUTE + 1)
      .then({ kind: 'skip', reason: 'expired' });
  });
  it('skips a channel the user opted out of since, and an address that is gone', () => {
    given({ optedOut: true }).when(T0).then({ kind: 'skip', reason: 'opted-out' });
    given({ reachable: false }).when(T0).then({ kind: 'skip', reason: 'unreachable' });
  });

  const markers = fc.record({
    cancelled: fc.boolean(),
    seen: fc.boolean(),
    read: fc.boolean(),
    collapsed: fc.boolean(),
    optedOut: fc.boolean(),
    reachable: fc.boolean(),
  });
  const times = fc.tuple(
    fc.integer({ min: 0, max: 1e7 }),
    fc.integer({ min: 0, max: 1e7 }),
    fc.integer({ min: 0, max: 1e7 }),
  );
  it('property: a read or seen message never yields a send', () => {
    fc.assert(
      fc.property(markers, times, (m, [a, e, n]) => {
        const d = nextStep({ at: T0 + a, expiresAt: T0 + e }, { ...m, read: true }, T0 + n);
        const s = nextStep({ at: T0 + a, expiresAt: T0 + e }, { ...m, seen: true }, T0 + n);
        return d.kind === 'skip' && s.kind === 'skip';
      }),
    );
  });
  it('property: nothing is sent after expiry or before the step is due', () => {
    fc.assert(
      fc.property(markers, times, (m, [a, e, n]) => {
        const d = nextStep({ at: T0 + a, expiresAt: T0 + e }, m, T0 + n);
        return d.kind !== 'send' || (n <= e && a <= n);
      }),
    );
  });
});
