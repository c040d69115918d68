import { describe, expect, it } from 'vitest';
import { triageConfig } from '../../../domain/triage/config.js';
import { messageFacts } from '../../../domain/triage/message.js';
import { planDelivery } from '../../../domain/triage/plan.js';
import { HOUR, MINUTE, SECOND, T0, browser, given, message, phone, pixel, recipient, step } from './fixtures.js';

// Every rule of issue 6's triage, as Given (message, recipient) / When (triage at a time) /
// Then (the steps planned). Default delays: normal 30 s push, 15 min nearline (+15 min per
// nearline channel); low 5 min / 1 h; very-low 30 min / 1 day, digested per hour.

describe('realtime first', () => {
  it('a live session gets the websocket at once and push only after the push delay (normal: 30 s)', () => {
    given(message())
      .and(recipient({ online: true, devices: [phone] }))
      .when()
      .then([step('websocket', 0, 'live-session'), step('apns', 30 * SECOND, 'unseen', { deviceId: phone.deviceId })]);
  });
  it('the push delay follows the urgency (low: 5 min) and is configurable', () => {
    given(message({ urgency: 2 }))
      .and(recipient({ online: true, devices: [browser] }))
      .when()
      .then([
        step('websocket', 0, 'live-session'),
        step('webpush', 5 * MINUTE, 'unseen', { deviceId: browser.deviceId }),
      ]);
    given(message(), { urgency: { 3: { pushDelayMs: 10 * SECOND } } })
      .and(recipient({ online: true, devices: [browser] }))
      .when()
      .then([
        step('websocket', 0, 'live-session'),
        step('webpush', 10 * SECOND, 'unseen', { deviceId: browser.deviceId }),
      ]);
  });
});

describe('no live session', () => {
  it('native push and web push at once, on every enlisted device', () => {
    given(message())
      .and(recipient({ devices: [phone, pixel, browser] }))
      .when()
      .then([
        step('apns', 0, 'offline', { deviceId: phone.deviceId }),
        step('fcm', 0, 'offline', { deviceId: pixel.deviceId }),
        step('webpush', 0, 'offline', { deviceId: browser.deviceId }),
      ]);
  });
  it('not on a device whose channel the user opted out of; a specific name wins over a group', () => {
    given(message())
      .and(recipient({ devices: [phone, browser], channels: ['~webpush'] }))
      .when()
      .then([step('apns', 0, 'offline', { deviceId: phone.deviceId })]);
    given(message())
      .and(recipient({ devices: [phone, pixel, browser], channels: ['~push', 'webpush'] }))
      .when()
      .then([step('webpush', 0, 'offline', { deviceId: browser.deviceId })]);
    given(message())
      .and(recipient({ devices: [phone, pixel], channels: ['~native'] }))
      .when()
      .then([]);
  });
});

describe('nearline', () => {
  it('email, then SMS, after the nearline delay, where the contact points exist', () => {
    given(message())
      .and(recipient({ devices: [phone], hasEmail: true, hasCell: true }))
      .when()
      .then([
        step('apns', 0, 'offline', { deviceId: phone.deviceId }),
        step('email', 15 * MINUTE, 'unread'),
        step('sms', 30 * MINUTE, 'unread'),
      ]);
    given(message())
      .and(recipient({ online: true, hasCell: true }))
      .when()
      .then([step('websocket', 0, 'live-session'), step('sms', 15 * MINUTE, 'unread')]);
  });
  it('not on a channel the user opted out of', () => {
    given(message())
      .and(recipient({ devices: [phone], hasEmail: true, hasCell: true, channels: ['~email'] }))
      .when()
      .then([step('apns', 0, 'offline', { deviceId: phone.deviceId }), step('sms', 15 * MINUTE, 'unread')]);
  });
  it('at once for a recipient with no live session and no devices', () => {
    given(message())
      .and(recipient({ hasEmail: true, hasCell: true }))
      .when()
      .then([step('email', 0, 'no-device'), step('sms', 15 * MINUTE, 'no-device')]);
    // Opting out of every device's channel leaves no device either.
    given(message())
      .and(recipient({ devices: [browser], hasEmail: true, channels: ['~webpush'] }))
      .when()
      .then([step('email', 0, 'no-device')]);
  });
  it('nothing at all for a recipient with no session, no devices and no contact points', () => {
    given(message()).and(recipient()).when().then([]);
  });
});

describe('urgency 4 (high)', () => {
  it('goes to every channel at once', () => {
    given(message({ urgency: 4 }))
      .and(recipient({ online: true, devices: [phone, browser], hasEmail: true, hasCell: true }))
      .when()
      .then([
        step('websocket', 0, 'live-session'),
        step('apns', 0, 'high-urgency', { deviceId: phone.deviceId }),
        step('webpush', 0, 'high-urgency', { deviceId: browser.deviceId }),
        step('email', 0, 'high-urgency'),
        step('sms', 0, 'high-urgency'),
      ]);
  });
  it('still respects opt-outs', () => {
    given(message({ urgency: 4 }))
      .and(recipient({ devices: [phone], hasEmail: true, hasCell: true, channels: ['~sms', '~apns'] }))
      .when()
      .then([step('email', 0, 'high-urgency')]);
  });
});

describe('channel preferences and the thread', () => {
  const thread = (channels: string[], fallback: string[] = []) => ({ channels, fallback });
  it("the user's preferences for the thread win over their own", () => {
    given(message({ thread: thread([]) }))
      .and(recipient({ hasEmail: true, channels: ['~email'], threadChannels: ['email'] }))
      .when()
      .then([step('email', 0, 'no-device')]);
    given(message({ thread: thread([]) }))
      .and(recipient({ devices: [phone], threadChannels: ['~apns'] }))
      .when()
      .then([]);
  });
  it("a thread's channel list allows those channels only", () => {
    given(message({ thread: thread(['webpush', 'email']) }))
      .and(recipient({ devices: [phone, browser], hasEmail: true, hasCell: true }))
      .when()
      .then([step('webpush', 0, 'offline', { deviceId: browser.deviceId }), step('email', 15 * MINUTE, 'unread')]);
    // A list of opt-outs only removes those.
    given(message({ thread: thread(['~sms']) }))
      .and(recipient({ devices: [phone], hasEmail: true, hasCell: true }))
      .when()
      .then([step('apns', 0, 'offline', { deviceId: phone.deviceId }), step('email', 15 * MINUTE, 'unread')]);
  });
  it("the thread's fallback channels are the nearline chain, in their order", () => {
    given(message({ thread: thread(['push'], ['sms', 'email']) }))
      .and(recipient({ devices: [pixel], hasEmail: true, hasCell: true }))
      .when()
      .then([
        step('fcm', 0, 'offline', { deviceId: pixel.deviceId }),
        step('sms', 15 * MINUTE, 'unread'),
        step('email', 30 * MINUTE, 'unread'),
      ]);
  });
  it('a channel without a sender is not planned', () => {
    given(message(), { available: ['websocket', 'webpush', 'email'] })
      .and(recipient({ devices: [phone, browser], hasEmail: true, hasCell: true }))
      .when()
      .then([step('webpush', 0, 'offline', { deviceId: browser.deviceId }), step('email', 15 * MINUTE, 'unread')]);
  });
});

describe('expiry', () => {
  it('nothing is planned after opts.ttl', () => {
    given(message({ ttlSeconds: 60 }))
      .and(recipient({ online: true, devices: [phone], hasEmail: true }))
      .when()
      .then([step('websocket', 0, 'live-session'), step('apns', 30 * SECOND, 'unseen', { deviceId: phone.deviceId })]);
    // ttl 0: now or never.
    given(message({ ttlSeconds: 0 }))
      .and(recipient({ online: true, devices: [phone], hasEmail: true }))
      .when()
      .then([step('websocket', 0, 'live-session')]);
  });
  it('without opts.ttl, the urgency sets the lifetime (high: 4 h by default)', () => {
    const plan = planDelivery(message({ urgency: 4 }), [recipient()], triageConfig(), T0);
    expect(plan.expiresAt).toBe(T0 + 4 * HOUR);
  });
  it('a message already expired when triaged plans nothing', () => {
    given(message({ ttlSeconds: 60 }))
      .and(recipient({ online: true, devices: [phone], hasEmail: true }))
      .when(T0 + 61 * SECOND)
      .then([]);
  });
});

describe('very-low urgency digests', () => {
  it('email and SMS wait for the end of their (hourly) digest window, which they name', () => {
    const due = T0 + 10 * MINUTE;
    const window = T0 + 24 * HOUR; // due + 1 day nearline delay falls in the window starting then
    given(message({ urgency: 1, due }))
      .and(recipient({ devices: [browser], hasEmail: true }))
      .when()
      .then([
        { channel: 'webpush', deviceId: browser.deviceId, at: due, reason: 'offline' },
        { channel: 'email', at: window + HOUR, reason: 'unread', digest: window },
      ]);
  });
  it('two messages in the same window name the same digest', () => {
    const cfg = triageConfig({ urgency: { 1: { nearlineDelayMs: 0 } } });
    const r = recipient({ hasEmail: true });
    const a = planDelivery(message({ urgency: 1, mid: 'a', due: T0 + 5 * MINUTE }), [r], cfg, T0);
    const b = planDelivery(message({ urgency: 1, mid: 'b', due: T0 + 55 * MINUTE }), [r], cfg, T0);
    expect(a.recipients[0]?.steps).toEqual([{ channel: 'email', at: T0 + HOUR, reason: 'no-device', digest: T0 }]);
    expect(b.recipients[0]?.steps).toEqual(a.recipients[0]?.steps);
  });
});

describe('scheduled messages', () => {
  it('are planned from their scheduled time', () => {
    const facts = messageFacts({
      mid: 'm',
      urgency: 3,
      opts: { ttl: 120, collapse: 'score' },
      at: new Date(T0).toISOString(),
      scheduled: new Date(T0 + HOUR).toISOString(),
    });
    expect(facts).toEqual({ mid: 'm', urgency: 3, due: T0 + HOUR, ttlSeconds: 120, collapse: 'score' });
    given(facts)
      .and(recipient({ devices: [phone] }))
      .when()
      .then([step('apns', HOUR, 'offline', { deviceId: phone.deviceId })]);
  });
  it('ignore opts.ttl and opts.collapse of the wrong shape', () => {
    expect(
      messageFacts({ mid: 'm', urgency: 2, opts: { ttl: -1, collapse: '' }, at: new Date(T0).toISOString() }),
    ).toEqual({ mid: 'm', urgency: 2, due: T0 });
  });
});

describe('late triage', () => {
  it('a message triaged after it was due starts its chain now, but keeps its lifetime from the due time', () => {
    const late = T0 + 2 * HOUR;
    given(message())
      .and(recipient({ online: true, devices: [phone], hasEmail: true }))
      .when(late)
      .then([
        step('websocket', 2 * HOUR, 'live-session'),
        step('apns', 2 * HOUR + 30 * SECOND, 'unseen', { deviceId: phone.deviceId }),
        step('email', 2 * HOUR + 15 * MINUTE, 'unread'),
      ]);
    expect(planDelivery(message(), [recipient()], triageConfig(), late).expiresAt).toBe(T0 + 24 * HOUR);
  });
});
