import { describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../adapters/ids/ids.js';

describe('message ids (UUIDv7)', () => {
  it('are RFC 9562 version 7, unique, and sort by creation even within one millisecond', () => {
    let t = Date.parse('2026-11-22T00:00:00Z');
    const ids = createIdGenerator(() => t);
    const made: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      if (i % 10_000 === 0) t += 1;
      made.push(ids.messageId());
    }
    for (const id of made.slice(0, 100))
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
    expect(made[0]?.slice(0, 13).replace('-', '')).toBe((t - 4).toString(16).padStart(12, '0'));
  });

  it('stay ordered when the clock steps back', () => {
    let t = 2_000_000_000_000;
    const ids = createIdGenerator(() => t);
    const a = ids.messageId();
    t -= 5000;
    const b = ids.messageId();
    expect(b > a).toBe(true);
  });
});
