import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fold } from '../../../domain/decider.js';
import { segmentDecider } from '../../../domain/segment.js';
import type { DefineSegment } from '../../../domain/segment.js';
import type { SegmentEvent } from '../../../schema/events.js';
import type { MessageId, UserId } from '../../../schema/ids.js';

const admin = { uid: 'root' as UserId, admin: true };
const define = (o: Partial<DefineSegment> = {}): DefineSegment => ({
  type: 'DefineSegment',
  id: 's1' as MessageId,
  name: 'beta testers',
  query: { tag: 'beta' },
  caller: admin,
  ...o,
});
const given = (...events: SegmentEvent[]) => fold(segmentDecider, events);
const defined: SegmentEvent = {
  type: 'SegmentDefined',
  data: { id: 's1' as MessageId, name: 'beta testers', query: { tag: 'beta' }, by: 'root' as UserId },
};

describe('segment decider', () => {
  it('Given nothing, When an admin defines a segment, Then SegmentDefined', () => {
    expect(segmentDecider.decide(define(), given())).toEqual(E.right([defined]));
  });
  it('Given the same definition, When defined again, Then nothing (already satisfied)', () => {
    expect(segmentDecider.decide(define(), given(defined))).toEqual(E.right([]));
  });
  it('Given a definition, When another query is defined under its id, Then SegmentIsDefined', () => {
    expect(segmentDecider.decide(define({ query: { tag: 'vip' } }), given(defined))).toMatchObject(
      E.left({ kind: 'conflict', code: 'SegmentIsDefined' }),
    );
  });
  it('Given nothing, When a non-admin defines a segment, Then SegmentsNeedAdmin', () => {
    expect(segmentDecider.decide(define({ caller: { uid: 'eve' as UserId, admin: false } }), given())).toMatchObject(
      E.left({ kind: 'forbidden', code: 'SegmentsNeedAdmin' }),
    );
  });
});
