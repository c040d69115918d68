import { describe, expect, it } from 'vitest';
import { instantOf, nextLocal, offsetAt, zoneOr } from '../../../domain/local-time.js';
import { isTimeZone } from '../../../schema/local-time.js';

// Wall-clock arithmetic on the runtime's tz database, at the edges that break naive code:
// the hour skipped in spring, the hour repeated in autumn, half-hour zones, southern DST.
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const wall = (local: string): number => Date.parse(`${local}Z`);

describe('offsets', () => {
  it('follows the zone through the year, including odd offsets and southern summers', () => {
    expect(offsetAt(at('2030-01-15T12:00:00Z'), 'Europe/Paris')).toBe(60);
    expect(offsetAt(at('2030-07-15T12:00:00Z'), 'Europe/Paris')).toBe(120);
    expect(offsetAt(at('2030-01-15T12:00:00Z'), 'Asia/Kathmandu')).toBe(345);
    expect(offsetAt(at('2030-01-15T12:00:00Z'), 'Australia/Lord_Howe')).toBe(660);
    expect(offsetAt(at('2030-07-15T12:00:00Z'), 'Australia/Lord_Howe')).toBe(630);
    expect(offsetAt(at('2030-07-15T12:00:00Z'), 'America/New_York')).toBe(-240);
  });
});

describe('local time to instant', () => {
  it('an ordinary local time is the one instant that shows it', () => {
    expect(iso(instantOf(wall('2030-06-01T09:00:00'), 'Europe/Paris'))).toBe('2030-06-01T07:00:00.000Z');
  });
  it('a local time skipped in spring moves forward by the gap (02:30 Paris on 31 March is 03:30 CEST)', () => {
    expect(iso(instantOf(wall('2030-03-31T02:30:00'), 'Europe/Paris'))).toBe('2030-03-31T01:30:00.000Z');
    expect(iso(instantOf(wall('2030-03-10T02:15:00'), 'America/New_York'))).toBe('2030-03-10T07:15:00.000Z');
  });
  it('a local time repeated in autumn is its first occurrence', () => {
    expect(iso(instantOf(wall('2030-10-27T02:30:00'), 'Europe/Paris'))).toBe('2030-10-27T00:30:00.000Z');
    expect(iso(instantOf(wall('2030-11-03T01:30:00'), 'America/New_York'))).toBe('2030-11-03T05:30:00.000Z');
  });
});

describe('the next occurrence of a local time', () => {
  it('is today when still ahead, else tomorrow', () => {
    expect(iso(nextLocal(at('2030-06-01T05:00:00Z'), 9 * 60, 'Europe/Paris'))).toBe('2030-06-01T07:00:00.000Z');
    expect(iso(nextLocal(at('2030-06-01T08:00:00Z'), 9 * 60, 'Europe/Paris'))).toBe('2030-06-02T07:00:00.000Z');
    expect(nextLocal(at('2030-06-01T07:00:00Z'), 9 * 60, 'Europe/Paris')).toBe(at('2030-06-01T07:00:00Z'));
  });
  it('across the night the clocks change, the morning is in the new offset', () => {
    expect(iso(nextLocal(at('2030-03-30T22:00:00Z'), 7 * 60, 'Europe/Paris'))).toBe('2030-03-31T05:00:00.000Z');
    expect(iso(nextLocal(at('2030-10-26T22:00:00Z'), 7 * 60, 'Europe/Paris'))).toBe('2030-10-27T06:00:00.000Z');
  });
  it('local days differ from UTC days (Pacific/Kiritimati is UTC+14)', () => {
    expect(iso(nextLocal(at('2030-06-01T12:00:00Z'), 9 * 60, 'Pacific/Kiritimati'))).toBe('2030-06-01T19:00:00.000Z');
  });
});

describe('zone names', () => {
  it('IANA names are zones; offsets, abbreviations, junk and hostile strings are not', () => {
    for (const z of ['Europe/Paris', 'UTC', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5'])
      expect(isTimeZone(z)).toBe(true);
    for (const z of ['Mars/Olympus', '+02:00', '', 'Europe/Paris\n', '../../etc/passwd', 'x'.repeat(100)])
      expect(isTimeZone(z)).toBe(false);
  });
  it('a stored zone this runtime does not know is computed as UTC (or the fallback)', () => {
    expect(zoneOr('Mars/Olympus')).toBe('UTC');
    expect(zoneOr(undefined, 'Europe/Paris')).toBe('Europe/Paris');
    expect(zoneOr('Asia/Tokyo')).toBe('Asia/Tokyo');
  });
});
