import * as t from 'io-ts';
import { IntFromString } from './env-codecs.js';

// Settings of the surfaces an app team adopts the broker with (issue 14): which browser origins
// may call the API (CORS), and the key of the receipt tokens put in push payloads.
const Origin = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;
export const CorsOrigins = t.refinement(
  t.string,
  (s) => s.trim() === '*' || s.split(',').every((o) => Origin.test(o.trim())),
  '`*` or comma-separated origins (scheme://host[:port], no path)',
);

export const CompatEnv = t.partial({
  MSGXC_CORS_ORIGINS: CorsOrigins,
  MSGXC_RECEIPT_SECRET: t.refinement(t.string, (s) => s.length >= 32, 'at least 32 characters'),
  MSGXC_RECEIPT_TOKEN_TTL: IntFromString('MSGXC_RECEIPT_TOKEN_TTL', 60, 366 * 24 * 3600),
});

export interface CorsSettings {
  /** `any`: every origin, without credentials; `list`: these origins exactly, with credentials. */
  readonly kind: 'none' | 'any' | 'list';
  readonly origins: readonly string[];
}

export interface CompatSettings {
  readonly cors: CorsSettings;
  /** MSGXC_RECEIPT_SECRET: the key of push receipt tokens; without it pushes carry none (opt-in). */
  readonly receiptSecret?: string;
  /** Seconds a push receipt token stays valid (default 30 days: a notification may wait in a tray). */
  readonly receiptTokenTtlSec: number;
}

export const DEFAULT_RECEIPT_TOKEN_TTL_SEC = 30 * 24 * 3600;

export const corsSettings = (raw: string | undefined): CorsSettings => {
  if (raw === undefined) return { kind: 'none', origins: [] };
  if (raw.trim() === '*') return { kind: 'any', origins: [] };
  // Origins compare as browsers send them: lower-case scheme and host, no trailing slash.
  return { kind: 'list', origins: [...new Set(raw.split(',').map((o) => o.trim().toLowerCase()))] };
};

export const compatSettings = (e: t.TypeOf<typeof CompatEnv>): CompatSettings => ({
  cors: corsSettings(e.MSGXC_CORS_ORIGINS),
  ...(e.MSGXC_RECEIPT_SECRET !== undefined ? { receiptSecret: e.MSGXC_RECEIPT_SECRET } : {}),
  receiptTokenTtlSec: e.MSGXC_RECEIPT_TOKEN_TTL ?? DEFAULT_RECEIPT_TOKEN_TTL_SEC,
});
