import { describe, expect, it } from 'vitest';
import { messageHead, stepStreams, triageStory } from '../../../domain/explain/plan.js';
import { explainRecipient } from '../../../domain/explain/recipient.js';
import type { LoggedEvent } from '../../../schema/explain.js';

// The explain fold (domain/explain) on hand-made streams: the paths the e2e test does not
// reach (retries, give-ups, digests, revocations, several batches, cancellation).
let position = 0;
const ev = (type: string, data: Record<string, unknown>): LoggedEvent => ({
  type,
  data,
  position: ++position,
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, position)).toISOString(),
});
const T = '2026-01-01T00:00:00.000Z';
const WINDOW = '2026-01-01T01:00:00.000Z';

describe('explain fold', () => {
  const published = ev('MessagePublished', { mid: 'm1', from: 'ann', urgency: 2, at: T, msg: 'x' });
  const triaged = [
    ev('MessageTriaged', {
      mid: 'm1',
      batch: 0,
      due: T,
      expiresAt: T,
      urgency: 2,
      next: 'bob',
      recipients: [
        {
          uid: 'bob',
          online: false,
          steps: [
            { channel: 'fcm', deviceId: 'd1', at: T, reason: 'offline' },
            { channel: 'email', at: T, reason: 'unread', digest: WINDOW },
          ],
        },
      ],
    }),
    ev('MessageTriaged', {
      mid: 'm1',
      batch: 1,
      due: T,
      expiresAt: T,
      urgency: 2,
      recipients: [{ uid: 'cat', online: true, steps: [{ channel: 'websocket', at: T, reason: 'live-session' }] }],
    }),
  ];

  it('reads the message and its status; unknown when never published', () => {
    expect(messageHead([])).toBeUndefined();
    expect(messageHead([published])).toMatchObject({ mid: 'm1', from: 'ann', status: 'published', urgency: 2 });
    expect(messageHead([published, ev('MessageCancelled', { mid: 'm1', by: 'ann' })])?.status).toBe('cancelled');
    expect(messageHead([published])?.audience).toBeNull();
  });
  it('shows the audience resolution of a multicast by segment', () => {
    const source = { segment: 's1', name: 'Beta', query: { tag: 'beta' } };
    const resolved = ev('AudienceResolved', { mid: 'm1', source, count: 3, by: 'ann', at: T });
    expect(messageHead([resolved, published])?.audience).toEqual({
      segment: 's1',
      name: 'Beta',
      query: { tag: 'beta' },
      count: 3,
      position: resolved.position,
      at: resolved.at,
    });
    const byQuery = ev('AudienceResolved', { mid: 'm1', source: { query: { tag: 'x' } }, count: 1, by: 'ann', at: T });
    expect(messageHead([byQuery, published])?.audience).toMatchObject({ segment: null, name: null, count: 1 });
  });

  it('gathers every batch, and each recipient with the rule of each step', () => {
    const story = triageStory(triaged);
    expect(story.triage.map((b) => b.batch)).toEqual([0, 1]);
    expect(
      story.recipients.map((r) => [r.uid, r.online, r.plan.map((p) => `${p.channel}:${p.rule}:${p.batch}`)]),
    ).toEqual([
      ['bob', false, ['fcm:offline:0', 'email:unread:0']],
      ['cat', true, ['websocket:live-session:1']],
    ]);
    // The websocket is the realtime layer's: no delivery stream to read.
    expect(stepStreams('m1', story.recipients[1] ?? { uid: '', online: false, plan: [] })).toEqual([]);
  });

  it('tells retries, a give-up, a digest that carried the message, receipts and a revocation', () => {
    const bob = triageStory(triaged).recipients[0];
    if (bob === undefined) throw new Error('no bob');
    const steps = stepStreams('m1', bob);
    expect(steps.map((s) => [s.stream, s.digestStream])).toEqual([
      ['delivery-m1/bob/fcm/d1', null],
      ['delivery-m1/bob/email', `digest-bob/email/${WINDOW}`],
    ]);
    const ref = { key: 'm1/bob/fcm/d1', uid: 'bob', channel: 'fcm', mid: 'm1', deviceId: 'd1' };
    const fcm = [
      ev('DeliveryAttempted', { ...ref, attempt: 1 }),
      ev('DeliveryFailed', { ...ref, attempt: 1, outcome: 'retry', reason: '503 Unavailable' }),
      ev('DeliveryRetryScheduled', { ...ref, attempt: 1, afterMs: 1000, at: WINDOW }),
      ev('DeliveryAttempted', { ...ref, attempt: 2 }),
      ev('DeliveryFailed', { ...ref, attempt: 2, outcome: 'gone', reason: 'UNREGISTERED' }),
      ev('DeliveryGivenUp', { ...ref, attempts: 2, reason: 'UNREGISTERED' }),
    ];
    const dref = { key: `bob/email/${WINDOW}`, uid: 'bob', channel: 'email', digest: WINDOW };
    const digest = [
      ev('DeliveryAttempted', { ...dref, attempt: 1, mids: ['m0', 'm1'] }),
      ev('DeliverySucceeded', { ...dref, attempt: 1, mids: ['m0', 'm1'], providerId: 'smtp-42' }),
      ev('DeliverySucceeded', { ...dref, attempt: 1, mids: ['m9'], providerId: 'other' }),
    ];
    const inbox = [
      ev('MessagesAcknowledged', { uid: 'bob', mids: ['m0'], status: 'read' }),
      ev('MessagesAcknowledged', { uid: 'bob', mids: ['m0', 'm1'], status: 'delivered', channel: 'email' }),
      ev('LastReadMarked', { uid: 'bob', mid: 'm1' }),
    ];
    const user = [
      ev('DeviceRevoked', { uid: 'bob', deviceId: 'd1', reason: 'UNREGISTERED' }),
      ev('DeviceRevoked', { uid: 'bob', deviceId: 'd7', reason: 'not planned' }),
    ];
    const r = explainRecipient('m1', published.position, bob, steps, {
      streams: new Map([
        ['delivery-m1/bob/fcm/d1', fcm],
        [`digest-bob/email/${WINDOW}`, digest],
      ]),
      inbox,
      user,
    });
    const [push, email] = r.steps;
    expect(push?.state).toBe('given-up');
    expect(push?.entries.map((e) => [e.kind, e.attempt, e.outcome, e.reason, e.retryAt])).toEqual([
      ['attempt', 1, null, null, null],
      ['failed', 1, 'retry', '503 Unavailable', null],
      ['retry', 1, null, null, WINDOW],
      ['attempt', 2, null, null, null],
      ['failed', 2, 'gone', 'UNREGISTERED', null],
      ['gave-up', 2, null, 'UNREGISTERED', null],
    ]);
    expect(email?.state).toBe('sent');
    expect(email?.entries.map((e) => [e.kind, e.outcome, e.digest])).toEqual([
      ['attempt', null, WINDOW],
      ['sent', 'smtp-42', WINDOW],
    ]);
    expect(r.receipts.map((x) => [x.status, x.channel])).toEqual([
      ['delivered', 'email'],
      ['read', null],
    ]);
    expect(r.revocations.map((x) => [x.deviceId, x.reason])).toEqual([['d1', 'UNREGISTERED']]);
  });

  it('a step with nothing in the log is pending; a retryable failure is retrying', () => {
    const bob = triageStory(triaged).recipients[0];
    if (bob === undefined) throw new Error('no bob');
    const steps = stepStreams('m1', bob);
    const ref = { key: 'm1/bob/fcm/d1', uid: 'bob', channel: 'fcm' };
    const r = explainRecipient('m1', published.position, bob, steps, {
      streams: new Map([
        ['delivery-m1/bob/fcm/d1', [ev('DeliveryFailed', { ...ref, attempt: 1, outcome: 'retry', reason: 'x' })]],
      ]),
      inbox: [],
      user: [],
    });
    expect(r.steps.map((s) => s.state)).toEqual(['retrying', 'pending']);
  });

  it('explains a recipient listed by uid as live (websocket only) like a full websocket plan', () => {
    const full = triageStory([triaged[1] ?? published]);
    const compact = triageStory([
      ev('MessageTriaged', {
        mid: 'm1',
        batch: 1,
        due: T,
        expiresAt: T,
        urgency: 2,
        recipients: [],
        live: ['cat'],
        liveAt: T,
      }),
    ]);
    expect(compact.recipients).toEqual(full.recipients);
    expect(stepStreams('m1', compact.recipients[0] ?? { uid: '', online: false, plan: [] })).toEqual([]);
  });
});
