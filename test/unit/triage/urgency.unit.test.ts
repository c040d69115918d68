import { describe, expect, it } from 'vitest';
import { URGENCY_NAMES } from '../../../adapters/channels/content.js';
import { DEFAULT_TRIAGE_CONFIG, triageConfig } from '../../../domain/triage/config.js';
import { DEFAULT_URGENCY_TABLE, pushHeaders, scaledUrgencyDelays } from '../../../domain/triage/urgency.js';
import type { Urgency } from '../../../schema/message.js';

const levels: readonly Urgency[] = [1, 2, 3, 4];

describe('the urgency table', () => {
  it('maps 1..4 to the Web Push Urgency header, FCM priority, and APNs priority and push type', () => {
    expect(levels.map((u) => pushHeaders(DEFAULT_URGENCY_TABLE[u]))).toEqual([
      { webPush: 'very-low', fcmPriority: 'normal', apnsPriority: 5, apnsPushType: 'alert' },
      { webPush: 'low', fcmPriority: 'normal', apnsPriority: 5, apnsPushType: 'alert' },
      { webPush: 'normal', fcmPriority: 'high', apnsPriority: 10, apnsPushType: 'alert' },
      { webPush: 'high', fcmPriority: 'high', apnsPriority: 10, apnsPushType: 'alert' },
    ]);
  });
  it('a silent message is a background push, which APNs only takes at priority 5', () => {
    expect(pushHeaders(DEFAULT_URGENCY_TABLE[4], true)).toEqual({
      webPush: 'high',
      fcmPriority: 'high',
      apnsPriority: 5,
      apnsPushType: 'background',
    });
  });
  it('agrees with the names the channel adapters put in the Urgency header', () => {
    expect(levels.map((u) => DEFAULT_URGENCY_TABLE[u].webPush)).toEqual([...URGENCY_NAMES]);
  });
  it('escalates sooner the more urgent the message, and digests only very-low', () => {
    const t = DEFAULT_URGENCY_TABLE;
    expect([t[1].pushDelayMs, t[2].pushDelayMs, t[3].pushDelayMs]).toEqual([30 * 60_000, 5 * 60_000, 30_000]);
    expect(t[1].nearlineDelayMs).toBeGreaterThan(t[2].nearlineDelayMs);
    expect(t[2].nearlineDelayMs).toBeGreaterThan(t[3].nearlineDelayMs);
    expect(levels.map((u) => t[u].digest)).toEqual([true, false, false, false]);
  });
});

describe('triageConfig', () => {
  it('overrides one field of one level and keeps the rest', () => {
    const c = triageConfig({ urgency: { 3: { pushDelayMs: 1_000 } }, digestWindowMs: 60_000 });
    expect(c.urgency[3]).toEqual({ ...DEFAULT_URGENCY_TABLE[3], pushDelayMs: 1_000 });
    expect(c.urgency[2]).toEqual(DEFAULT_URGENCY_TABLE[2]);
    expect(c.digestWindowMs).toBe(60_000);
    expect(c.batchSize).toBe(DEFAULT_TRIAGE_CONFIG.batchSize);
  });
  it('refuses a batch size or digest window that is not a positive integer', () => {
    expect(() => triageConfig({ batchSize: 0 })).toThrow(/batchSize/);
    expect(() => triageConfig({ digestWindowMs: 1.5 })).toThrow(/digestWindowMs/);
  });
});

describe('MSGXC_TRIAGE_TIME_SCALE', () => {
  it("scales every level's push and nearline waits, and only those", () => {
    const half = scaledUrgencyDelays(0.5);
    for (const u of [1, 2, 3, 4] as const) {
      const d = DEFAULT_URGENCY_TABLE[u];
      expect(half[u]).toEqual({
        pushDelayMs: Math.round(d.pushDelayMs / 2),
        nearlineDelayMs: Math.round(d.nearlineDelayMs / 2),
        nearlineStepMs: Math.round(d.nearlineStepMs / 2),
      });
    }
    expect(scaledUrgencyDelays(1)[2].pushDelayMs).toBe(DEFAULT_URGENCY_TABLE[2].pushDelayMs);
  });
});
