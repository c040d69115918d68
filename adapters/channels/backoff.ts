// When to try again. A provider's own Retry-After wins (RFC 9110: delay-seconds or an
// HTTP-date); otherwise the delay doubles with each attempt from a floor that suits the
// failure (a throttled sender waits longer than one that met a passing 503).
const MAX_DELAY_MS = 3600_000;

export const backoffMs = (attempt: number, floorMs = 5_000): number =>
  Math.min(MAX_DELAY_MS, floorMs * 2 ** Math.min(Math.max(0, attempt), 20));

/** Milliseconds from a Retry-After value, or undefined when absent or unreadable; capped at a day. */
export const retryAfterMs = (value: unknown, nowMs: number): number | undefined => {
  const raw = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const text = String(raw).trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - nowMs;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), 24 * MAX_DELAY_MS) : undefined;
};

/** The provider's delay when it gave one, else the back-off for this attempt. */
export const retryDelay = (header: unknown, attempt: number, nowMs: number, floorMs?: number): number =>
  retryAfterMs(header, nowMs) ?? backoffMs(attempt, floorMs);
