import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { MqttPayload } from '../../schema/channels.js';
import { needs } from '../infra/needs.js';
import { freePort } from '../infra/process.js';
import { startMosquitto, type MosquittoServer } from '../infra/mosquitto.js';
import { call, nodeId, removeDir, startServer, token, type Server } from './harness.js';
import { allEvents, waitFor, type LogEvent } from './standin-env.js';

// MQTT delivery end to end (issue 14, seed 002): the built server with a real Mosquitto,
// publishing through the HTTP API, an MQTT client subscribed to onadata's topics
// `/<root>/{user|xform|project}/<pk>/messages/publish`. Checks the topic, the payload
// (author's real name, the context's metadata), QoS and retain; TLS with a client
// certificate; and that a broker that is down means retries, then delivery once it is up.
//   npx tsc -p tsconfig.build.json && MSGXC_TEST_SERVERS=mosquitto npx vitest run --project e2e test/e2e/mqtt-delivery.e2e.test.ts

interface Received {
  readonly topic: string;
  readonly payload: unknown;
  readonly qos: number;
  readonly retain: boolean;
}
const subscribe = async (
  url: string,
  topic: string,
  extra: IClientOptions = {},
): Promise<{ client: MqttClient; received: Received[]; on: (t: string) => Received[] }> => {
  const client = await connectAsync(url, { reconnectPeriod: 0, ...extra });
  const received: Received[] = [];
  client.on('message', (t, p, packet) => {
    received.push({
      topic: t,
      payload: JSON.parse(p.toString('utf8')) as unknown,
      qos: packet.qos,
      retain: packet.retain,
    });
  });
  // QoS 2 on the subscription: what arrives carries the publisher's QoS (the lower of the two).
  await client.subscribeAsync(topic, { qos: 2 });
  return { client, received, on: (t) => received.filter((r) => r.topic === t) };
};

const ok = async (server: Server, method: string, path: string, tok: string, body?: unknown): Promise<string> => {
  const r = await call(server, method, path, { token: tok, ...(body === undefined ? {} : { body }) });
  expect([200, 201], `${method} ${path}: ${r.status} ${r.text}`).toContain(r.status);
  return r.headers.get('x-message-id') ?? '';
};

const mqttEvents = async (server: Server, admin: string, mid: string): Promise<LogEvent[]> =>
  (await allEvents(server, admin)).filter((e) => e.data['mid'] === mid && e.data['channel'] === 'mqtt');

const serverWith = (name: string, env: Record<string, string>): Promise<Server> =>
  startServer({
    env: { MSGXC_LOG_LEVEL: 'warn', MSGXC_SCHEDULER_POLL_MS: '50', MSGXC_NODE_ID: nodeId(name), ...env },
  });

needs('MSGXC_TEST_MQTT_URL', 'MQTT delivery through a real Mosquitto', () => {
  let broker: MosquittoServer;
  let admin: string;
  beforeAll(async () => {
    broker = await startMosquitto({ tls: true });
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    await broker.stop();
  });

  describe("onadata's topics and payloads, QoS 1, retained", () => {
    const root = `onadata-${randomBytes(3).toString('hex')}`;
    let server: Server;
    let sub: Awaited<ReturnType<typeof subscribe>>;
    beforeAll(async () => {
      server = await serverWith('e2e-mqtt', {
        MSGXC_MQTT_URL: broker.url,
        MSGXC_MQTT_TOPIC_BASE: root,
        MSGXC_MQTT_QOS: '1',
        MSGXC_MQTT_RETAIN: 'true',
        MSGXC_MQTT_CLIENT_ID: `msgxc-e2e-${randomBytes(3).toString('hex')}`,
      });
      sub = await subscribe(broker.url, `/${root}/#`);
    });
    afterAll(async () => {
      await sub.client.endAsync();
      await server.stop();
      removeDir(server.dataDir);
    });

    it('publishes a form message once on the xform topic and once on each subscribed user topic', async () => {
      const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => token(u)));
      if (alice === undefined || bob === undefined || carol === undefined || dave === undefined)
        throw new Error('tokens');
      await ok(server, 'POST', '/api/v2/profile', alice, { attributes: { real_name: 'Alice Smith', team: 'data' } });
      await ok(server, 'POST', '/api/v2/profile', bob, { attributes: { name: 'Bob Jones' } });
      await ok(server, 'POST', '/api/v2/profile', carol, { channels: ['~mqtt'] });
      // Only an admin (the app's service token) creates an onadata form's thread; alice, its owner, is an admin member.
      await ok(server, 'POST', '/api/v2/threads', admin, { tid: 'xform:1337', name: 'Form Name', opens: true });
      await ok(server, 'POST', '/api/v2/threads/xform:1337/members', admin, { uid: 'alice', role: 'admin' });
      for (const t of [bob, carol, dave]) await ok(server, 'POST', '/api/v2/subscribe', t, { tid: 'xform:1337' });

      const mid = await ok(server, 'POST', '/api/v2/publish', alice, {
        tid: 'xform:1337',
        msg: 'I love oov',
        opts: {},
      });
      const formTopic = `/${root}/xform/1337/messages/publish`;
      const bobTopic = `/${root}/user/bob/messages/publish`;
      const daveTopic = `/${root}/user/dave/messages/publish`;
      await waitFor('the form topic and the user topics', () =>
        sub.on(formTopic).length > 0 && sub.on(bobTopic).length > 0 && sub.on(daveTopic).length > 0 ? true : undefined,
      );
      // Every unit has its outcome in the log: the thread topic once, bob and dave once each.
      const succeeded = await waitFor('three MQTT deliveries recorded', async () => {
        const done = (await mqttEvents(server, admin, mid)).filter((e) => e.type === 'DeliverySucceeded');
        return done.length === 3 ? done : undefined;
      });
      expect(succeeded.map((e) => [e.data['uid'], e.data['deviceId'] ?? null]).sort()).toEqual([
        ['alice', 'thread'],
        ['bob', null],
        ['dave', null],
      ]);
      // Carol opted out: triage planned no MQTT step for her (the decision is in the log).
      const triaged = (await allEvents(server, admin, ['MessageTriaged'])).filter((e) => e.data['mid'] === mid);
      const plans = triaged.flatMap((e) => e.data['recipients'] as { uid: string; steps: { channel: string }[] }[]);
      expect(plans.find((p) => p.uid === 'carol')?.steps.map((s) => s.channel)).not.toContain('mqtt');
      expect(sub.received.filter((r) => r.topic.includes('/carol/'))).toEqual([]);

      const [form] = sub.on(formTopic);
      expect(sub.on(formTopic)).toHaveLength(1);
      expect(form?.qos).toBe(1);
      const time = (form?.payload as { time?: string } | undefined)?.time ?? '';
      expect(Date.parse(time)).not.toBeNaN();
      expect(form?.payload).toEqual({
        id: mid,
        time,
        payload: {
          message: 'I love oov',
          context: { type: 'xform', metadata: { id: 1337, name: 'Form Name' } },
          author: { username: 'alice', real_name: 'Alice Smith' },
        },
      });
      expect(sub.on(bobTopic)[0]?.payload).toEqual({
        id: mid,
        time,
        payload: {
          message: 'I love oov',
          context: { type: 'user', metadata: { id: 'bob', name: 'Bob Jones' } },
          author: { username: 'alice', real_name: 'Alice Smith' },
        },
      });
      for (const r of sub.received) expect(E.isRight(MqttPayload.decode(r.payload)), JSON.stringify(r)).toBe(true);

      // Retained: a client that subscribes afterwards still gets the last message of the topic.
      const late = await subscribe(broker.url, formTopic);
      try {
        const kept = await waitFor('the retained form message', () => late.received[0]);
        expect(kept).toMatchObject({ retain: true, qos: 1, payload: { id: mid } });
      } finally {
        await late.client.endAsync();
      }
    });

    it("sends to a user by pk on onadata's user topic, and to a project's thread on its project topic", async () => {
      const mid = await ok(server, 'POST', '/api/v2/send', admin, { uid: '42', msg: 'hello user 42' });
      const userTopic = `/${root}/user/42/messages/publish`;
      const [got] = await waitFor('the user topic', () =>
        sub.on(userTopic).length > 0 ? sub.on(userTopic) : undefined,
      );
      expect(got?.payload).toMatchObject({
        id: mid,
        payload: {
          message: 'hello user 42',
          context: { type: 'user', metadata: { id: 42 } },
          author: { username: 'root' },
        },
      });

      const erin = await token('erin');
      await ok(server, 'POST', '/api/v2/threads', admin, { tid: 'project:7', name: 'Project Name', opens: true });
      await ok(server, 'POST', '/api/v2/threads/project:7/members', admin, { uid: 'erin', role: 'admin' });
      const pmid = await ok(server, 'POST', '/api/v2/publish', erin, {
        tid: 'project:7',
        msg: 'to the project',
        opts: {},
      });
      const projectTopic = `/${root}/project/7/messages/publish`;
      const [project] = await waitFor('the project topic', () =>
        sub.on(projectTopic).length > 0 ? sub.on(projectTopic) : undefined,
      );
      expect(project?.payload).toMatchObject({
        id: pmid,
        payload: {
          context: { type: 'project', metadata: { id: 7, name: 'Project Name' } },
          author: { username: 'erin' },
        },
      });
    });
  });

  describe('TLS with a CA and a client certificate, QoS 2, not retained', () => {
    const root = `secure-${randomBytes(3).toString('hex')}`;
    let server: Server;
    it('connects with the client certificate and publishes', async () => {
      const tls = broker.tls;
      if (tls === undefined) throw new Error('the broker was started with TLS');
      server = await serverWith('e2e-mqtt-tls', {
        MSGXC_MQTT_URL: tls.url,
        MSGXC_MQTT_TOPIC_BASE: root,
        MSGXC_MQTT_QOS: '2',
        MSGXC_MQTT_CA_FILE: tls.caFile,
        MSGXC_MQTT_CERT_FILE: tls.certFile,
        MSGXC_MQTT_KEY_FILE: tls.keyFile,
      });
      const sub = await subscribe(tls.url, `/${root}/#`, {
        ca: readFileSync(tls.caFile, 'utf8'),
        cert: readFileSync(tls.certFile, 'utf8'),
        key: readFileSync(tls.keyFile, 'utf8'),
      });
      try {
        const mid = await ok(server, 'POST', '/api/v2/send', admin, { uid: 'frank', msg: 'over TLS' });
        const topic = `/${root}/user/frank/messages/publish`;
        const [got] = await waitFor('the user topic over TLS', () =>
          sub.on(topic).length > 0 ? sub.on(topic) : undefined,
        );
        expect(got).toMatchObject({ qos: 2, retain: false, payload: { id: mid, payload: { message: 'over TLS' } } });
        await waitFor('the delivery recorded', async () =>
          (await mqttEvents(server, admin, mid)).some((e) => e.type === 'DeliverySucceeded') ? true : undefined,
        );
      } finally {
        await sub.client.endAsync();
        await server.stop();
        removeDir(server.dataDir);
      }
    });
  });

  describe('a broker that is down', () => {
    it('is retries, then the delivery once it is up, not a lost message', async () => {
      const port = await freePort();
      const root = `down-${randomBytes(3).toString('hex')}`;
      const server = await serverWith('e2e-mqtt-down', {
        MSGXC_MQTT_URL: `mqtt://127.0.0.1:${port}`,
        MSGXC_MQTT_TOPIC_BASE: root,
        MSGXC_CHANNEL_TIMEOUT_MS: '500',
        // Retained, so the subscriber below gets it even if a retry goes out before it subscribes.
        MSGXC_MQTT_RETAIN: 'true',
        // Two attempts in all, quickly: an unreachable broker must be waited for past them.
        MSGXC_RETRY_MAX_ATTEMPTS: '2',
        MSGXC_RETRY_BASE_MS: '50',
        MSGXC_RETRY_UNREACHABLE_MAX_MS: '200',
      });
      let late: MosquittoServer | undefined;
      try {
        const mid = await ok(server, 'POST', '/api/v2/send', admin, { uid: 'gina', msg: 'while the broker is down' });
        const retried = await waitFor('a retry recorded', async () =>
          (await mqttEvents(server, admin, mid)).find((e) => e.type === 'DeliveryRetryScheduled'),
        );
        const failed = (await mqttEvents(server, admin, mid)).find((e) => e.type === 'DeliveryFailed');
        expect(failed?.data).toMatchObject({ outcome: 'retry', uid: 'gina', channel: 'mqtt' });
        expect(retried.data).toMatchObject({ uid: 'gina', channel: 'mqtt' });
        // Well past the two attempts of the policy, still waiting, nothing given up.
        const waited = await waitFor('five retries while the broker is down', async () => {
          const events = await mqttEvents(server, admin, mid);
          return events.filter((e) => e.type === 'DeliveryRetryScheduled').length >= 5 ? events : undefined;
        });
        expect(waited.filter((e) => e.type === 'DeliveryGivenUp')).toEqual([]);

        late = await startMosquitto({ port });
        const sub = await subscribe(late.url, `/${root}/#`);
        try {
          await waitFor(
            'the delivery once the broker is up',
            async () =>
              (await mqttEvents(server, admin, mid)).some((e) => e.type === 'DeliverySucceeded') ? true : undefined,
            30_000,
          );
          const topic = `/${root}/user/gina/messages/publish`;
          const [got] = await waitFor('the message on the broker', () =>
            sub.on(topic).length > 0 ? sub.on(topic) : undefined,
          );
          expect(got?.payload).toMatchObject({ id: mid, payload: { message: 'while the broker is down' } });
          const given = (await mqttEvents(server, admin, mid)).filter((e) => e.type === 'DeliveryGivenUp');
          expect(given).toEqual([]);
        } finally {
          await sub.client.endAsync();
        }
      } finally {
        await server.stop();
        removeDir(server.dataDir);
        await late?.stop();
      }
    });
  });
});
