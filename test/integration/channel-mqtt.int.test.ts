// The MQTT adapter through the `mqtt` client against a real Mosquitto broker that the global
// setup starts (MSGXC_TEST_SERVERS=mosquitto sets MSGXC_TEST_MQTT_URL):
//   MSGXC_TEST_SERVERS=mosquitto npx vitest run --config test/infra/vitest.infra.config.ts \
//     --project integration test/integration/channel-mqtt.int.test.ts
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { connectAsync, type MqttClient } from 'mqtt';
import { readFile } from 'node:fs/promises';
import { createMqttChannel } from '../../adapters/channels/mqtt.js';
import { mqttPayload, mqttTopic, publishPacketSize } from '../../adapters/channels/mqtt-mapper.js';
import type { Channel, MqttRecipient } from '../../ports/channel.js';
import { MqttPayload, type MqttConfig } from '../../schema/channels.js';
import { channelContract, deliveryOf, sampleMessage } from '../contract/channel.contract.js';
import { needs } from '../infra/needs.js';
import { freePort } from '../infra/process.js';
import { startMosquitto } from '../infra/mosquitto.js';

const url = process.env['MSGXC_TEST_MQTT_URL'] ?? '';
const user = (uid: string): MqttRecipient => ({ channel: 'mqtt', target: { kind: 'user', uid } });
const thread = (tid: string): MqttRecipient => ({ channel: 'mqtt', target: { kind: 'thread', tid } });

interface Received {
  topic: string;
  payload: unknown;
  retain: boolean;
}
const subscriber = async (
  topic: string,
): Promise<{ client: MqttClient; received: Received[]; waitFor: (n: number) => Promise<void> }> => {
  const client = await connectAsync(url, { reconnectPeriod: 0 });
  const received: Received[] = [];
  client.on('message', (t, p, packet) => {
    received.push({ topic: t, payload: JSON.parse(p.toString('utf8')) as unknown, retain: packet.retain });
  });
  await client.subscribeAsync(topic, { qos: 1 });
  const waitFor = async (n: number): Promise<void> => {
    const deadline = Date.now() + 5_000;
    while (received.length < n) {
      if (Date.now() > deadline) throw new Error(`subscriber got ${received.length} messages, expected ${n}`);
      await sleep(10);
    }
  };
  return { client, received, waitFor };
};

needs('MSGXC_TEST_MQTT_URL', 'MQTT against Mosquitto', () => {
  const base = `msgxc-test-${randomBytes(4).toString('hex')}`;
  const config: MqttConfig = { url, topicBase: base, qos: 1, retain: false };

  channelContract<MqttRecipient>(
    'MQTT (mqtt client -> Mosquitto)',
    async () => {
      const sub = await subscriber(`/${base}/contract/#`);
      const channel = createMqttChannel({ config: { ...config, topicBase: `${base}/contract` }, timeoutMs: 2_000 });
      return {
        channel,
        good: (i) => user(`u${i}`),
        received: () => sub.received.length,
        waitForReceived: (n) => sub.waitFor(n),
        unreachable: async () => ({
          channel: createMqttChannel({
            config: { ...config, url: `mqtt://127.0.0.1:${await freePort()}` },
            timeoutMs: 1_000,
          }),
          to: (i) => user(`x${i}`),
        }),
        cleanup: async () => {
          await channel.close();
          await sub.client.endAsync();
        },
      };
    },
    { badRecipient: 'MQTT has no refused recipient: a broker accepts a publish to any topic' },
  );

  describe('MQTT adapter against Mosquitto', () => {
    let channel: Channel<MqttRecipient>;
    let sub: Awaited<ReturnType<typeof subscriber>>;
    beforeAll(async () => {
      sub = await subscriber(`/${base}/#`);
      channel = createMqttChannel({ config, timeoutMs: 2_000 });
    });
    afterAll(async () => {
      await channel.close();
      await sub.client.endAsync();
    });
    beforeEach(() => {
      sub.received.length = 0;
    });

    it("publishes to the user's and the thread's topics with onadata's payload", async () => {
      const message = sampleMessage({ msg: 'hello mqtt', from: 'alice' });
      const outcomes = await channel.deliver([
        deliveryOf(user('bob'), { kind: 'message', message }),
        deliveryOf(thread('lobby'), { kind: 'message', message }),
      ]);
      expect(outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
      await sub.waitFor(2);
      const byTopic = Object.fromEntries(sub.received.map((r) => [r.topic, r.payload]));
      expect(byTopic[`/${base}/user/bob/messages/publish`]).toEqual({
        id: message.mid,
        time: message.at,
        payload: {
          message: 'hello mqtt',
          context: { type: 'user', metadata: { id: 'bob' } },
          author: { username: 'alice' },
        },
      });
      expect(byTopic[`/${base}/thread/lobby/messages/publish`]).toMatchObject({
        payload: { context: { type: 'thread', metadata: { id: 'lobby', name: 'Lobby' } } },
      });
      for (const r of sub.received) expect(E.isRight(MqttPayload.decode(r.payload))).toBe(true);
    });

    it('percent-encodes MQTT wildcards in ids so they stay one topic level', async () => {
      await channel.deliver([deliveryOf(user('ann+test@example.com'))]);
      await sub.waitFor(1);
      expect(sub.received[0]?.topic).toBe(`/${base}/user/ann%2Btest@example.com/messages/publish`);
    });

    // A broker drops the connection of a client that sends a packet over its limit. The
    // client must not replay that publish on every reconnect (which took each connection down
    // before anything else got through): later messages are delivered, the big one is retried
    // by the retry policy only.
    it('keeps delivering after the broker dropped the connection over one oversized publish', async () => {
      const small = await startMosquitto({ config: ['max_packet_size 2000'] });
      const to = `${base}/oversize`;
      const watcher = await connectAsync(small.url, { reconnectPeriod: 0 });
      const got: string[] = [];
      watcher.on('message', (_t, p) => {
        got.push((JSON.parse(p.toString('utf8')) as { payload: { message: string } }).payload.message);
      });
      await watcher.subscribeAsync(`/${to}/#`, { qos: 1 });
      const limited = createMqttChannel({ config: { ...config, url: small.url, topicBase: to }, timeoutMs: 1_000 });
      try {
        const [big] = await limited.deliver([
          deliveryOf(user('big'), { kind: 'message', message: sampleMessage({ msg: 'B'.repeat(5_000) }) }),
        ]);
        expect(big).toMatchObject({ kind: 'retry' });
        let outcome: unknown;
        const deadline = Date.now() + 8_000;
        while (!got.includes('small') && Date.now() < deadline) {
          await sleep(300);
          [outcome] = await limited.deliver([
            deliveryOf(user('small'), { kind: 'message', message: sampleMessage({ msg: 'small' }) }),
          ]);
        }
        expect(got, JSON.stringify(outcome)).toContain('small');
        expect(got).not.toContain('B'.repeat(5_000));
      } finally {
        await limited.close();
        await watcher.endAsync();
        await small.stop();
      }
    });

    // MSGXC_MQTT_MAX_PAYLOAD at the broker's limit: a message over it is failed for good before
    // it is sent (no retry until expiry, no dropped connection), one at exactly the limit is
    // delivered (the packet size is counted as the broker counts it), and later ones go through.
    it('fails a publish over MSGXC_MQTT_MAX_PAYLOAD permanently, before the broker drops the connection', async () => {
      const small = await startMosquitto({ config: ['max_packet_size 2000'] });
      const to = `${base}/limit`;
      const watcher = await connectAsync(small.url, { reconnectPeriod: 0 });
      const got: string[] = [];
      watcher.on('message', (_t, p) => {
        got.push((JSON.parse(p.toString('utf8')) as { payload: { message: string } }).payload.message);
      });
      await watcher.subscribeAsync(`/${to}/#`, { qos: 1 });
      const limited = createMqttChannel({
        config: { ...config, url: small.url, topicBase: to, maxPacket: 2000 },
        timeoutMs: 1_000,
      });
      // A message whose publish packet is exactly `bytes` long.
      const sized = (bytes: number, fill: string) => {
        const probe = deliveryOf(user('big'), { kind: 'message', message: sampleMessage({ msg: '' }) });
        const size = (d: typeof probe): number =>
          publishPacketSize(mqttTopic(to, d.to), JSON.stringify(mqttPayload(d.content, d.to)), config.qos);
        const d = deliveryOf(user('big'), {
          kind: 'message',
          message: sampleMessage({ msg: fill.repeat(bytes - size(probe)) }),
        });
        expect(size(d)).toBe(bytes);
        return d;
      };
      try {
        const [over] = await limited.deliver([sized(2001, 'O')]);
        expect(over).toEqual({
          kind: 'failed',
          reason: 'message too large for MQTT: the publish is 2001 bytes, over MSGXC_MQTT_MAX_PAYLOAD (2000)',
        });
        const outcomes = await limited.deliver([
          sized(2000, 'E'),
          deliveryOf(user('small'), { kind: 'message', message: sampleMessage({ msg: 'small-1' }) }),
          deliveryOf(user('small'), { kind: 'message', message: sampleMessage({ msg: 'small-2' }) }),
        ]);
        expect(outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }, { kind: 'delivered' }]);
        const deadline = Date.now() + 5_000;
        while (got.length < 3 && Date.now() < deadline) await sleep(20);
        expect(got.map((m) => m.slice(0, 7)).sort()).toEqual(['EEEEEEE', 'small-1', 'small-2']);
        // Mosquitto logs each connection it drops over a packet's size: none here.
        expect((await readFile(small.logFile, 'utf8')).match(/oversize/gi) ?? []).toEqual([]);
      } finally {
        await limited.close();
        await watcher.endAsync();
        await small.stop();
      }
    });

    // The broker's limit below MSGXC_MQTT_MAX_PAYLOAD (here the default, 256 KB): the message
    // the broker drops the connection for is failed for good after a few drops (once among
    // others, then twice alone), not retried until it expires; the others are delivered.
    it('fails a message the broker keeps dropping the connection for, after a few drops', async () => {
      const small = await startMosquitto({ config: ['max_packet_size 2000'] });
      const to = `${base}/drops`;
      const watcher = await connectAsync(small.url, { reconnectPeriod: 0 });
      const got: string[] = [];
      watcher.on('message', (_t, p) => {
        got.push((JSON.parse(p.toString('utf8')) as { payload: { message: string } }).payload.message);
      });
      await watcher.subscribeAsync(`/${to}/#`, { qos: 1 });
      const limited = createMqttChannel({ config: { ...config, url: small.url, topicBase: to }, timeoutMs: 1_000 });
      const big = deliveryOf(user('big'), { kind: 'message', message: sampleMessage({ msg: 'B'.repeat(5_000) }) });
      const drops = async (): Promise<number> =>
        ((await readFile(small.logFile, 'utf8')).match(/oversize/gi) ?? []).length;
      try {
        let outcome: unknown;
        const smalls: string[] = [];
        const deadline = Date.now() + 20_000;
        for (let i = 0; Date.now() < deadline; i++) {
          smalls.push(`small-${i}`);
          const [b] = await limited.deliver([
            big,
            ...smalls
              .filter((m) => !got.includes(m))
              .map((m) => deliveryOf(user('small'), { kind: 'message', message: sampleMessage({ msg: m }) })),
          ]);
          outcome = b;
          if ((b as { kind: string }).kind !== 'retry') break;
          await sleep(300);
        }
        expect(outcome).toMatchObject({ kind: 'failed' });
        expect((outcome as { reason: string }).reason).toMatch(
          /^the MQTT broker closed the connection each time this message was published alone \(2 times\): the publish is \d+ bytes, .*MSGXC_MQTT_MAX_PAYLOAD/,
        );
        expect(await drops()).toBe(3);
        // Afterwards the connection stays up and every message goes out.
        await sleep(1_500);
        const after = await limited.deliver([
          deliveryOf(user('small'), { kind: 'message', message: sampleMessage({ msg: 'after' }) }),
        ]);
        expect(after).toEqual([{ kind: 'delivered' }]);
        const until = Date.now() + 5_000;
        while (!smalls.every((m) => got.includes(m)) && Date.now() < until) {
          await limited.deliver(
            smalls
              .filter((m) => !got.includes(m))
              .map((m) => deliveryOf(user('small'), { kind: 'message', message: sampleMessage({ msg: m }) })),
          );
          await sleep(100);
        }
        expect(smalls.filter((m) => !got.includes(m))).toEqual([]);
        expect(got).toContain('after');
        expect(got).not.toContain('B'.repeat(5_000));
        expect(await drops()).toBe(3);
      } finally {
        await limited.close();
        await watcher.endAsync();
        await small.stop();
      }
    });

    it('retains the last message on a topic when configured, for subscribers that arrive later', async () => {
      const retained = createMqttChannel({
        config: { ...config, qos: 0, retain: true, topicBase: `${base}/retained` },
        timeoutMs: 2_000,
      });
      const topic = `/${base}/retained/user/carol/messages/publish`;
      // QoS 0 has no acknowledgement: a subscriber present before the publish receiving it is
      // the evidence that the broker processed it (and so holds the retained copy).
      const early = await subscriber(topic);
      try {
        expect(
          await retained.deliver([
            deliveryOf(user('carol'), { kind: 'message', message: sampleMessage({ msg: 'kept' }) }),
          ]),
        ).toEqual([{ kind: 'delivered' }]);
        await early.waitFor(1);
        expect(early.received[0]).toMatchObject({ retain: false });
        const late = await subscriber(topic);
        try {
          await late.waitFor(1);
          expect(late.received[0]).toMatchObject({ retain: true, payload: { payload: { message: 'kept' } } });
        } finally {
          await late.client.endAsync();
        }
      } finally {
        await retained.close();
        await early.client.endAsync();
      }
    });
  });
});

// Needs no broker: an address nobody listens on. The outcome of a delivery while the client
// cannot connect names why (here the refused TCP connection; a broker refusing the credentials
// says `Connection refused: Not authorized`), never the password given in the URL.
describe('MQTT adapter without a broker', () => {
  it('names the connection error in the outcome, without the password', async () => {
    const port = await freePort();
    const channel = createMqttChannel({
      config: { url: `mqtt://msgxc:s3cret-pw@127.0.0.1:${port}`, topicBase: 'x', qos: 1, retain: false },
      timeoutMs: 1_000,
    });
    try {
      await sleep(300);
      const [outcome] = await channel.deliver([
        deliveryOf(user('dan'), { kind: 'message', message: sampleMessage({ msg: 'm' }) }),
      ]);
      expect(outcome).toMatchObject({ kind: 'retry', unreachable: true });
      const reason = (outcome as { reason: string }).reason;
      expect(reason).toMatch(/^broker not connected: .*ECONNREFUSED/);
      expect(reason).not.toContain('s3cret-pw');
    } finally {
      await channel.close();
    }
  });
});
