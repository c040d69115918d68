import type { ChannelConfig } from '../../schema/channels.js';
import { createApnsChannel } from './apns.js';
import { channelSecrets, describeChannelConfig } from './secrets.js';
import { createSendGridChannel } from './email-sendgrid.js';
import { createSmtpChannel } from './email-smtp.js';
import { createFcmChannel } from './fcm.js';
import { createMqttChannel } from './mqtt.js';
import { createOutboxChannel, type OutboxRender } from './outbox.js';
import { outboxRenderers } from './outbox-render.js';
import type { OutboxStore } from '../../ports/outbox.js';
import type { Channel, ChannelKind, Recipient, RecipientOf } from '../../ports/channel.js';
import { redactor } from './redact.js';
import { createSmsChannel } from './sms.js';
import { createWebPushChannel } from './webpush.js';
import type { ReceiptSigner } from './receipts.js';

// One channel per kind, chosen from the configuration: the provider's SDK adapter when its
// credentials are set, otherwise the outbox. Dispatch asks for a channel by kind.
export type Channels = { readonly [C in ChannelKind]: Channel<RecipientOf<C>> } & {
  readonly providers: Readonly<Record<ChannelKind, string>>;
  close(): Promise<void>;
};

export const createChannels = (
  c: ChannelConfig,
  deps: {
    readonly outbox: OutboxStore;
    readonly now?: () => number;
    /** Signs push receipt tokens (adapters/channels/receipts.ts); without it payloads carry none. */
    readonly receipts?: ReceiptSigner;
  },
): Channels => {
  const now = deps.now ?? Date.now;
  const s = c.settings;
  const redact = redactor(channelSecrets(c));
  const common = { timeoutMs: s.timeoutMs, redact, ...(s.ca !== undefined ? { ca: s.ca } : {}) };
  const render = outboxRenderers(c, now, deps.receipts);
  const receipts = deps.receipts !== undefined ? { receipts: deps.receipts } : {};
  const out = <R extends Recipient>(kind: R['channel'], r: OutboxRender<R>): Channel<R> =>
    createOutboxChannel(kind, deps.outbox, r, now);
  const emailSettings = { templates: s.emailTemplates, ...(s.linkBase !== undefined ? { linkBase: s.linkBase } : {}) };
  const channels = {
    webpush: c.webpush
      ? createWebPushChannel({ ...common, ...receipts, config: c.webpush, now })
      : out('webpush', render.webpush),
    fcm: c.fcm ? createFcmChannel({ ...common, ...receipts, config: c.fcm, now }) : out('fcm', render.fcm),
    apns: c.apns ? createApnsChannel({ ...common, ...receipts, config: c.apns, now }) : out('apns', render.apns),
    email:
      c.email?.provider === 'sendgrid'
        ? createSendGridChannel({ ...common, config: c.email, settings: emailSettings, now })
        : c.email?.provider === 'smtp'
          ? createSmtpChannel({ ...common, config: c.email, settings: emailSettings })
          : out('email', render.email),
    sms: c.sms
      ? createSmsChannel({
          ...common,
          config: c.sms,
          maxLength: s.smsMaxLength,
          ...(s.linkBase !== undefined ? { linkBase: s.linkBase } : {}),
        })
      : out('sms', render.sms),
    mqtt: c.mqtt
      ? createMqttChannel({ config: c.mqtt, timeoutMs: s.timeoutMs, ...(s.ca !== undefined ? { ca: s.ca } : {}) })
      : out('mqtt', render.mqtt),
  };
  return {
    ...channels,
    providers: describeChannelConfig(c),
    close: async () => {
      await Promise.allSettled(Object.values(channels).map((ch) => ch.close()));
    },
  };
};
