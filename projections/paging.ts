// Pages run newest first by (effective time, mid). The cursor names the last item of the
// previous page; it is opaque to clients (base64url) so its shape can change.

export interface Bound {
  /** Effective time in epoch ms: `scheduled ?? at`. */
  readonly eff: number;
  readonly mid: string;
}

export const MAX_PAGE = 200;

export const clampLimit = (limit: number): number =>
  Number.isFinite(limit) ? Math.min(MAX_PAGE, Math.max(1, Math.trunc(limit))) : MAX_PAGE;

export const encodeCursor = (b: Bound): string => Buffer.from(`${b.eff}:${b.mid}`, 'utf8').toString('base64url');

export const decodeCursor = (cursor: string): Bound | undefined => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(-?\d{1,16}):(.{1,128})$/s.exec(text);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  const eff = Number(m[1]);
  return Number.isSafeInteger(eff) ? { eff, mid: m[2] } : undefined;
};

export const isValidCursor = (cursor: string): boolean => decodeCursor(cursor) !== undefined;

/**
 * The exclusive upper bound of a page: the cursor, capped at "due by now" so that scheduled
 * messages stay hidden until their time. `undefined` for a cursor that does not decode
 * (the page is then empty rather than restarting from the top, which could loop a client).
 */
export const upperBound = (before: string | undefined, now: Date): Bound | undefined => {
  // (now + 1, '') is just above every (eff <= now, mid): '' sorts before any mid.
  const due: Bound = { eff: now.getTime() + 1, mid: '' };
  if (before === undefined) return due;
  const c = decodeCursor(before);
  if (c === undefined) return undefined;
  return c.eff < due.eff ? c : due;
};

/** Newest first: larger effective time, then larger mid. */
export const newestFirst = (a: Bound, b: Bound): number =>
  b.eff - a.eff || (a.mid < b.mid ? 1 : a.mid > b.mid ? -1 : 0);
