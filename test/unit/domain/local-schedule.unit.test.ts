import { describe, expect, it } from 'vitest';
import { firstLocal, recipientLocal } from '../../../domain/local-schedule.js';
import { messageDecider } from '../../../domain/message.js';
import type { MessageCommand } from '../../../domain/message.js';
import { triageConfig } from '../../../domain/triage/config.js';
import { messageFacts } from '../../../domain/triage/message.js';
import { planDelivery } from '../../../domain/triage/plan.js';
import type { EventOf } from '../../../schema/events.js';
import { asMessageId } from '../../../schema/ids.js';
import { alice, tid, uid } from './fixtures.js';
import { gwt } from './gwt.js';

// Local-time schedules: Given a publication time, When the schedule is resolved (by the publish
// decider) and planned (by triage), Then each recipient's chain starts at the local time.
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const PUBLISHED = at('2030-06-01T12:00:00Z');

describe('resolving a local schedule', () => {
  it('one zone: the next 09:00 there after publication (DST-aware)', () => {
    expect(iso(firstLocal({ at: '09:00', timezone: 'Europe/Paris' }, PUBLISHED))).toBe('2030-06-02T07:00:00.000Z');
    expect(iso(firstLocal({ at: '09:00', timezone: 'Europe/Paris' }, at('2030-01-01T06:00:00Z')))).toBe(
      '2030-01-01T08:00:00.000Z',
    );
  });
  it('recipient: the message falls due when the first zone reaches 09:00, within the hour of publication', () => {
    const first = firstLocal({ at: '09:00', timezone: 'recipient' }, PUBLISHED);
    expect(first).toBeGreaterThan(PUBLISHED);
    expect(first).toBeLessThanOrEqual(at('2030-06-01T13:00:00Z')); // some zone is at UTC-3 or -4 and reaches 09:00 within the hour
    expect(first % (15 * 60_000)).toBe(0);
  });
  it("recipient: each recipient at 09:00 in their zone; without one, the fallback's; never before the message is due", () => {
    const s = { at: '09:00', timezone: 'recipient', fallback: 'America/New_York' } as const;
    const due = firstLocal(s, PUBLISHED);
    expect(iso(recipientLocal(s, PUBLISHED, due, 'Asia/Tokyo'))).toBe('2030-06-02T00:00:00.000Z');
    expect(iso(recipientLocal(s, PUBLISHED, due, 'Europe/Paris'))).toBe('2030-06-02T07:00:00.000Z');
    expect(iso(recipientLocal(s, PUBLISHED, due, undefined))).toBe('2030-06-01T13:00:00.000Z'); // 08:00 in New York at publication
    expect(iso(recipientLocal({ at: '09:00', timezone: 'recipient' }, PUBLISHED, due, 'Mars/Base'))).toBe(
      '2030-06-02T09:00:00.000Z',
    );
    expect(recipientLocal(s, PUBLISHED, due + 1e12, 'Asia/Tokyo')).toBe(due + 1e12);
  });
});

describe('publishing with a local schedule', () => {
  const given = gwt(messageDecider);
  const cmd = (local: { at: string; timezone: string }): MessageCommand => ({
    type: 'Publish',
    mid: asMessageId('m-local'),
    caller: alice,
    audience: { kind: 'thread', tid: tid('news') },
    content: { msg: 'good morning', opts: {}, local },
    now: new Date(PUBLISHED),
  });
  const event = (scheduled: string, local: object): EventOf<'MessagePublished'> => ({
    type: 'MessagePublished',
    data: {
      mid: asMessageId('m-local'),
      from: uid('alice'),
      audience: { kind: 'thread', tid: tid('news') },
      msg: 'good morning',
      opts: {},
      urgency: 3,
      at: iso(PUBLISHED),
      scheduled,
      local: local as never,
    },
  });
  it('records the resolved instant as `scheduled` and the schedule as asked; a retry decides the same', () => {
    const local = { at: '09:00', timezone: 'Asia/Tokyo' };
    const e = event('2030-06-02T00:00:00.000Z', local);
    given([]).when(cmd(local)).then([e]);
    given([e])
      .when({ ...cmd(local), now: new Date(PUBLISHED + 3_600_000) } as MessageCommand)
      .then([]);
  });
});

describe('triage of a recipient-local message', () => {
  it("plans each recipient's chain from their own 09:00 (Tokyo before Paris), the lifetime from the last zone", () => {
    const data = {
      mid: 'm-local',
      urgency: 3 as const,
      opts: {},
      at: iso(PUBLISHED),
      local: { at: '09:00', timezone: 'recipient' as const },
    };
    const due = firstLocal(data.local, PUBLISHED);
    const m = messageFacts({ ...data, scheduled: iso(due) });
    const r = (id: string, timezone: string) => ({
      uid: id,
      online: false,
      devices: [{ deviceId: `d-${id}`, channel: 'fcm' as const }],
      hasEmail: false,
      hasCell: false,
      channels: [],
      timezone,
    });
    const plan = planDelivery(m, [r('tokyo', 'Asia/Tokyo'), r('paris', 'Europe/Paris')], triageConfig({}), due);
    expect(plan.recipients.map((p) => p.steps.map((s) => iso(s.at)))).toEqual([
      ['2030-06-02T00:00:00.000Z'],
      ['2030-06-02T07:00:00.000Z'],
    ]);
    expect(plan.expiresAt).toBeGreaterThan(at('2030-06-02T12:00:00Z'));
  });
});
