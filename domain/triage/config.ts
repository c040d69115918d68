import type { Urgency } from '../../schema/message.js';
import type { NearlineChannel, StepChannel } from './types.js';
import { DEFAULT_URGENCY_TABLE } from './urgency.js';
import type { UrgencyProfile } from './urgency.js';

export interface TriageConfig {
  readonly urgency: Readonly<Record<Urgency, UrgencyProfile>>;
  /** Nearline channels in escalation order when the thread names no fallback. */
  readonly nearline: readonly NearlineChannel[];
  /** Channels that have a sender (websocket always does); steps on others are not planned. */
  readonly available: readonly StepChannel[];
  /** Length of a digest window; windows start at multiples of it (epoch-aligned). */
  readonly digestWindowMs: number;
  /** Most recipients in one MessageTriaged event. */
  readonly batchSize: number;
}

export const DEFAULT_TRIAGE_CONFIG: TriageConfig = {
  urgency: DEFAULT_URGENCY_TABLE,
  nearline: ['email', 'sms'],
  available: ['websocket', 'apns', 'fcm', 'webpush', 'email', 'sms'],
  digestWindowMs: 60 * 60 * 1000,
  batchSize: 500,
};

export interface TriageConfigOverrides {
  readonly urgency?: Partial<Record<Urgency, Partial<UrgencyProfile>>>;
  readonly nearline?: readonly NearlineChannel[];
  readonly available?: readonly StepChannel[];
  readonly digestWindowMs?: number;
  readonly batchSize?: number;
}

/** Defaults with any field of any urgency level (or any other setting) replaced. */
export const triageConfig = (o: TriageConfigOverrides = {}): TriageConfig => {
  const level = (u: Urgency): UrgencyProfile => ({ ...DEFAULT_URGENCY_TABLE[u], ...o.urgency?.[u] });
  const batchSize = o.batchSize ?? DEFAULT_TRIAGE_CONFIG.batchSize;
  const digestWindowMs = o.digestWindowMs ?? DEFAULT_TRIAGE_CONFIG.digestWindowMs;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('triage batchSize must be a positive integer');
  if (!Number.isInteger(digestWindowMs) || digestWindowMs < 1)
    throw new Error('triage digestWindowMs must be a positive integer');
  return {
    urgency: { 1: level(1), 2: level(2), 3: level(3), 4: level(4) },
    nearline: o.nearline ?? DEFAULT_TRIAGE_CONFIG.nearline,
    available: o.available ?? DEFAULT_TRIAGE_CONFIG.available,
    digestWindowMs,
    batchSize,
  };
};
