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

  // A broker whose limit is below MSGXC_MQTT_MAX_PAYLOAD drops the connection at the
  // publish; MQTT 3.1.1 says no more. A lost connection is not the message's fault as a rule
  // (an unreachable retry), but one message that takes it down at every try would do so until
  // it expires. So a publish in flight when the connection was lost becomes a suspect, and a
  // suspect is sent again alone: nothing else in flight, nothing else started meanwhile, so a
  // drop then is its own. After ISOLATED_DROPS such drops it fails for good; delivered, it is
  // cleared. An innocent publish caught in a drop costs one isolated try; a broker dropping
  // connections for other reasons (network) would have to do so at that publish twice in a row.
  // Counted per process: another node or a restart starts again at 0 (still bounded).
  const ISOLATED_DROPS = 2;
  const MAX_SUSPECTS = 10_000;
  const suspects = new Map<string, number>();
  let inFlight = 0;
  let alone = false;
  let waitingAlone = 0;
  let wake: (() => void)[] = [];
  const changed = (): void => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };
  // Until `ready()` holds or the deadline passes; false then.
  const waitUntil = async (ready: () => boolean, deadline: number): Promise<boolean> => {
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  };
  const suspect = (id: string, drops: number): void => {
    suspects.delete(id);
    suspects.set(id, drops);
    // An expired or cancelled suspect is never tried again: the oldest make room.
    for (const old of suspects.keys()) {
      if (suspects.size <= MAX_SUSPECTS) break;
      suspects.delete(old);
    }
  };

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
    const drops = suspects.get(d.id);
    const deadline = Date.now() + o.timeoutMs;
    const isolated = drops !== undefined;
    // The slot is taken in the same step as the check, so two suspects woken together cannot
    // both go. While a suspect waits for its turn nothing new starts, or steady traffic would
    // starve it.
    const claim = isolated
      ? (): boolean => {
          if (alone || inFlight > 0) return false;
          alone = true;
          inFlight += 1;
          return true;
        }
      : (): boolean => {
          if (alone || waitingAlone > 0) return false;
          inFlight += 1;
          return true;
        };
    const release = (): void => {
      inFlight -= 1;
      if (isolated) alone = false;
      changed();
    };
    if (isolated) waitingAlone += 1;
    const turn = await waitUntil(claim, deadline);
    if (isolated) {
      waitingAlone -= 1;
      changed();
    }
    if (!client.connected) {
      if (turn) release();
      return unreachable(backoffMs(d.attempt, 2_000), notConnected());
    }
    // Not this message's fault (others in flight): no attempt used up.
    if (!turn) return unreachable(backoffMs(d.attempt, 2_000), 'waiting to publish alone after a lost connection');
    const sent = client.publishAsync(topic, payload, { qos: o.config.qos, retain: o.config.retain }).finally(release);
    try {
      return await withDeadline(
        sent.then(() => {
          suspects.delete(d.id);
          return delivered();
        }),
        o.timeoutMs,
        () => retry(backoffMs(d.attempt, 2_000), 'timeout'),
      );
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!/disconnect|closed|connection|message removed/i.test(message))
        return failed(`publish refused: ${redact(message)}`);
      const now = isolated ? drops + 1 : 0;
      if (now >= ISOLATED_DROPS) {
        suspects.delete(d.id);
        return failed(
          `the MQTT broker closed the connection each time this message was published alone (${now} times): ` +
            `the publish is ${size} bytes, likely over the broker's packet size limit; set MSGXC_MQTT_MAX_PAYLOAD to that limit`,
        );
      }
      suspect(d.id, now);
      return unreachable(backoffMs(d.attempt, 2_000), 'connection lost');
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
