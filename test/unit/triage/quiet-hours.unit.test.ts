import { describe, expect, it } from 'vitest';
import { quietUntil } from '../../../domain/triage/quiet-hours.js';
import { HOUR, MINUTE, SECOND, T0, browser, given, message, phone, recipient, step } from './fixtures.js';

// Quiet hours as Given (message, recipient with quiet hours) / When (triage) / Then (steps).
// T0 is 2030-01-01T00:00Z: 01:00 in Paris (CET, UTC+1), 19:00 the day before in New York.
const paris = { from: '22:00', to: '07:00', timezone: 'Europe/Paris' };
const until7Paris = 6 * HOUR; // 07:00 CET is 06:00Z

describe('quiet hours defer non-urgent pushes, emails and SMS to their end', () => {
  it('a push in quiet hours waits until they end, and says from when and why', () => {
    given(message())
      .and(recipient({ devices: [phone], quietHours: paris }))
      .when()
      .then([
        step('apns', until7Paris, 'offline', {
          deviceId: phone.deviceId,
          deferred: { reason: 'quiet-hours', from: T0 },
        }),
      ]);
  });
  it('email and SMS wait too; the websocket of a live session does not', () => {
    given(message())
      .and(recipient({ online: true, devices: [browser], hasEmail: true, quietHours: paris }))
      .when()
      .then([
        step('websocket', 0, 'live-session'),
        step('webpush', until7Paris, 'unseen', {
          deviceId: browser.deviceId,
          deferred: { reason: 'quiet-hours', from: T0 + 30 * SECOND },
        }),
        step('email', until7Paris, 'unread', { deferred: { reason: 'quiet-hours', from: T0 + 15 * MINUTE } }),
      ]);
  });
  it('urgency 4 ignores them', () => {
    given(message({ urgency: 4 }))
      .and(recipient({ devices: [phone], hasCell: true, quietHours: paris }))
      .when()
      .then([step('apns', 0, 'high-urgency', { deviceId: phone.deviceId }), step('sms', 0, 'high-urgency')]);
  });
  it('outside quiet hours nothing moves; the zone is the profile one when the hours name none', () => {
    // 01:00 in Paris is 19:00 in New York: outside 22:00-07:00 there.
    given(message())
      .and(recipient({ devices: [phone], timezone: 'America/New_York', quietHours: { from: '22:00', to: '07:00' } }))
      .when()
      .then([step('apns', 0, 'offline', { deviceId: phone.deviceId })]);
  });
  it('a very-low urgency digest step is gathered into the window after the quiet hours', () => {
    given(message({ urgency: 1 }))
      .and(recipient({ hasEmail: true, quietHours: paris }))
      .when()
      .then([
        step('email', until7Paris + HOUR, 'no-device', {
          digest: T0 + until7Paris,
          deferred: { reason: 'quiet-hours', from: T0 },
        }),
      ]);
  });
});

describe('the quiet-hours rule at its edges', () => {
  const t = (isoz: string): number => Date.parse(isoz);
  it('[from, to): the start is quiet, the end is not; from == to is no quiet hours', () => {
    const q = { from: '22:00', to: '07:00', timezone: 'UTC' };
    expect(quietUntil(t('2030-06-01T22:00:00Z'), 3, q, undefined)).toBe(t('2030-06-02T07:00:00Z'));
    expect(quietUntil(t('2030-06-01T07:00:00Z'), 3, q, undefined)).toBeUndefined();
    expect(quietUntil(t('2030-06-01T06:59:00Z'), 3, q, undefined)).toBe(t('2030-06-01T07:00:00Z'));
    expect(quietUntil(t('2030-06-01T12:00:00Z'), 3, { from: '12:00', to: '12:00' }, undefined)).toBeUndefined();
  });
  it('hours within one day (13:00-14:00) and no zone anywhere (UTC)', () => {
    const q = { from: '13:00', to: '14:00' };
    expect(quietUntil(t('2030-06-01T13:30:00Z'), 2, q, undefined)).toBe(t('2030-06-01T14:00:00Z'));
    expect(quietUntil(t('2030-06-01T14:30:00Z'), 2, q, undefined)).toBeUndefined();
  });
  it('the night the clocks go forward ends at 07:00 summer time, the night they go back at 07:00 winter time', () => {
    expect(quietUntil(t('2030-03-30T23:00:00Z'), 3, paris, undefined)).toBe(t('2030-03-31T05:00:00Z'));
    expect(quietUntil(t('2030-10-26T23:00:00Z'), 3, paris, undefined)).toBe(t('2030-10-27T06:00:00Z'));
  });
  it('quiet hours ending in the skipped hour end when it would have (02:30 -> 03:30 CEST)', () => {
    const q = { from: '01:00', to: '02:30', timezone: 'Europe/Paris' };
    expect(quietUntil(t('2030-03-31T00:15:00Z'), 3, q, undefined)).toBe(t('2030-03-31T01:30:00Z'));
  });
  it('an unknown stored zone counts as UTC rather than failing triage', () => {
    expect(
      quietUntil(t('2030-06-01T23:00:00Z'), 3, { from: '22:00', to: '07:00', timezone: 'Mars/Olympus' }, undefined),
    ).toBe(t('2030-06-02T07:00:00Z'));
  });
});
