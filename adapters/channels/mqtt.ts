import { randomUUID } from 'node:crypto';
import { connect } from 'mqtt';
import type { MqttConfig } from '../../schema/channels.js';
import { DEFAULT_MQTT_MAX_PACKET } from '../../schema/config-mqtt.js';
import { trustedCa } from './agent.js';
import { backoffMs } from './backoff.js';
import { mqttPayload, mqttTopic, publishPacketSize } from './mqtt-mapper.js';
import { mapLimit, withDeadline } from './pool.js';
import type { Channel, Delivery, MqttRecipient, Outcome } from '../../ports/channel.js';
import { delivered, failed, retry, unreachable } from './outcome.js';
import { redactor } from './redact.js';

// MQTT through the `mqtt` client (seed 002's backend). The broker is MSGXC_MQTT_URL (mqtts://
// or wss:// for TLS), so a local Mosquitto needs no override; a TLS broker's CA comes from
// MSGXC_MQTT_CA_FILE (else MSGXC_CHANNEL_CA_FILE), trusted besides the public roots; a client
// certificate and key from MSGXC_MQTT_CERT_FILE / MSGXC_MQTT_KEY_FILE.
// With QoS 1 or 2 a publish counts as delivered on the broker's acknowledgement; with QoS 0
// once it is written. While the broker is unreachable deliveries are retried later rather
// than queued in this process, as `unreachable` retries: a self-hosted broker down for
// maintenance is waited for until each message expires, not for a number of attempts.
export interface MqttChannelOptions {
  readonly config: MqttConfig;
  readonly timeoutMs: number;
  readonly ca?: string;
  readonly concurrency?: number;
}

export const createMqttChannel = (o: MqttChannelOptions): Channel<MqttRecipient> => {
  const c = o.config;
  const ca = c.ca ?? o.ca;
  const client = connect(c.url, {
    clientId: c.clientId ?? `msgxc-${randomUUID().slice(0, 8)}`,
    clean: true,
    reconnectPeriod: 1_000,
    connectTimeout: o.timeoutMs,
    queueQoSZero: false,
    ...(ca !== undefined ? { ca: trustedCa(ca) } : {}),
    ...(c.cert !== undefined && c.key !== undefined ? { cert: c.cert, key: c.key } : {}),
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
  });
  // Both ways of giving a password: neither may reach an outcome (README, MSGXC_MQTT_PASSWORD).
  const urlPassword = URL.canParse(c.url) ? decodeURIComponent(new URL(c.url).password) : '';
  const redact = redactor([c.password ?? '', urlPassword]);
  // Connection errors are reported as outcomes; without a listener they would crash the process.
  // The last one is kept until a connection succeeds: "not connected" alone does not tell an
  // operator whether the broker is down, unknown, or refusing the credentials or certificate.
  let lastError: string | undefined;
  client.on('error', (e: Error) => {
    lastError = e.message;
  });
  client.on('connect', () => {
    lastError = undefined;
  });
  // Every resend is the retry policy's, never the client's: mqtt.js keeps unacknowledged QoS 1
  // and 2 publishes and replays them first on each reconnect, even after their delivery was
  // given up (timeout) and retried. A publish the broker drops the connection for (one over
  // its packet size limit) was then replayed on every reconnect, forever, and took every
  // connection down before any other publish got through: MQTT delivery of the whole node
  // stopped. On a lost connection the publishes in flight are dropped from the client (their
  // deliveries become unreachable retries, below), so a reconnect starts clean.
  client.on('close', () => {
    for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
  });
  const notConnected = (): string =>
    lastError === undefined ? 'broker not connected' : `broker not connected: ${redact(lastError)}`;
  const firstConnect = new Promise<void>((resolve) => {
    client.once('connect', () => {
      resolve();
    });
  });

  const maxPacket = c.maxPacket ?? DEFAULT_MQTT_MAX_PACKET;
  const publish = async (d: Delivery<MqttRecipient>): Promise<Outcome> => {
    const topic = mqttTopic(o.config.topicBase, d.to);
    const payload = JSON.stringify(mqttPayload(d.content, d.to));
    // A broker drops the connection of a client that sends a packet over its limit, and
    // sending it again never helps: refused here, before it is written, for good. Checked
    // before the connection so it does not wait as unreachable while the broker is down.
    const size = publishPacketSize(topic, payload, o.config.qos);
    if (size > maxPacket)
      return failed(
        `message too large for MQTT: the publish is ${size} bytes, over MSGXC_MQTT_MAX_PAYLOAD (${maxPacket})`,
      );
    if (!client.connected) return unreachable(backoffMs(d.attempt, 2_000), notConnected());
    try {
      return await withDeadline(
        client
          .publishAsync(topic, payload, {
            qos: o.config.qos,
            retain: o.config.retain,
          })
          .then(() => delivered()),
        o.timeoutMs,
        () => retry(backoffMs(d.attempt, 2_000), 'timeout'),
      );
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return /disconnect|closed|connection|message removed/i.test(message)
        ? unreachable(backoffMs(d.attempt, 2_000), 'connection lost')
        : failed(`publish refused: ${redact(message)}`);
    }
  };

  return {
    kind: 'mqtt',
    provider: 'mqtt',
    deliver: async (batch) => {
      // Right after start-up the first connection may still be on its way: give it a moment.
      if (batch.length > 0 && !client.connected)
        await withDeadline(firstConnect, Math.min(o.timeoutMs, 2_000), () => undefined);
      return mapLimit(batch, o.concurrency ?? 64, publish);
    },
    close: () => client.endAsync(true),
  };
};
