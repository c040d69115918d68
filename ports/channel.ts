import type { ProviderOutcome } from '../schema/provider-outcome.js';
import type { JsonObject } from '../schema/json.js';
import type { Urgency } from '../schema/message.js';
import type { WebPushSubscription } from '../schema/devices.js';
import type * as t from 'io-ts';

// The Channel port: hand a provider a batch of deliveries, get back one outcome per
// delivery, in the same order. Dispatch (the triage issue) turns outcomes into events:
// `gone` revokes the device, `retry` schedules another attempt after `afterMs`, `failed`
// gives up with a reason. An adapter never throws for a provider's answer: every answer,
// timeout or network error becomes an outcome, so one bad recipient cannot fail a batch.
export type ChannelKind = 'webpush' | 'fcm' | 'apns' | 'email' | 'sms' | 'mqtt';

/** What is being delivered: the published message as the channels need it. */
export interface OutgoingMessage {
  readonly mid: string;
  readonly from: string;
  /** The author's real name, when their profile attributes give one (`real_name` or `name`). */
  readonly fromName?: string;
  readonly tid?: string;
  readonly threadName?: string;
  readonly msg: string;
  readonly subject?: string;
  readonly opts: JsonObject;
  readonly urgency: Urgency;
  /** ISO-8601 time the message was published (or became due). */
  readonly at: string;
}

export type WebPushRecipient = {
  readonly channel: 'webpush';
  readonly uid: string;
  readonly deviceId: string;
  readonly subscription: t.TypeOf<typeof WebPushSubscription>;
};
export type FcmRecipient = {
  readonly channel: 'fcm';
  readonly uid: string;
  readonly deviceId: string;
  readonly token: string;
};
export type ApnsRecipient = {
  readonly channel: 'apns';
  readonly uid: string;
  readonly deviceId: string;
  readonly token: string;
};
export type EmailRecipient = {
  readonly channel: 'email';
  readonly uid: string;
  readonly address: string;
  readonly name?: string;
  /** The recipient's attributes, for `{{user.<key>}}` in templates. */
  readonly attributes?: Readonly<Record<string, string>>;
};
export type SmsRecipient = { readonly channel: 'sms'; readonly uid: string; readonly number: string };
/** MQTT publishes once per user topic or once per thread topic (subscribers listen there). */
export type MqttRecipient = {
  readonly channel: 'mqtt';
  readonly target:
    | { readonly kind: 'user'; readonly uid: string; readonly name?: string }
    | { readonly kind: 'thread'; readonly tid: string };
};

export type Recipient = WebPushRecipient | FcmRecipient | ApnsRecipient | EmailRecipient | SmsRecipient | MqttRecipient;
export type RecipientOf<C extends ChannelKind> = Extract<Recipient, { readonly channel: C }>;

/** One message, or a digest of several (newest first) that a channel may render as one. */
export type Content =
  | { readonly kind: 'message'; readonly message: OutgoingMessage }
  | { readonly kind: 'digest'; readonly messages: readonly [OutgoingMessage, ...OutgoingMessage[]] };

export interface Delivery<R extends Recipient = Recipient> {
  /** Stable for this (content, recipient) across attempts: the outbox key, the provider's idempotency hint. */
  readonly id: string;
  /** 0 on the first try; adapters grow their back-off with it. */
  readonly attempt: number;
  readonly to: R;
  readonly content: Content;
}

/** The provider's answer to one delivery (schema/provider-outcome.ts). */
export type Outcome = ProviderOutcome;

export interface Channel<R extends Recipient = Recipient> {
  readonly kind: R['channel'];
  /** Which implementation answers: the SDK's provider name, or `outbox`. */
  readonly provider: string;
  /** One outcome per delivery, same length and order; resolves even when the provider fails. */
  deliver(batch: readonly Delivery<R>[]): Promise<readonly Outcome[]>;
  close(): Promise<void>;
}
