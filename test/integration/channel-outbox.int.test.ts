// The outbox channel on the embedded SQLite file: what the broker would have sent through
// each provider without credentials, shown to admins at GET /api/v2/outbox, bounded and paged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteOutbox } from '../../adapters/channels/outbox-store.js';
import { type OutboxStore } from '../../ports/outbox.js';
import { createChannels, type Channels } from '../../adapters/channels/registry.js';
import type { FcmRecipient } from '../../ports/channel.js';
import type { AppDeps } from '../../api/deps.js';
import type { ApiError } from '../../api/errors.js';
import type { RouteReply } from '../../api/route.js';
import { outboxRoutes } from '../../api/routes/outbox.js';
import { NO_PROVIDERS, type ChannelConfig } from '../../schema/channels.js';
import { channelContract, deliveryOf, sampleMessage } from '../contract/channel.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'msgxc-outbox-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
let files = 0;
const open = (max = 10_000): OutboxStore => createSqliteOutbox({ file: join(dir, `outbox-${++files}.db`), max });

channelContract<FcmRecipient>(
  'outbox (SQLite, FCM renderer)',
  () => {
    const outbox = open();
    let recorded = 0;
    const counting: OutboxStore = {
      ...outbox,
      record: async (entries) => {
        const ids = await outbox.record(entries);
        recorded += entries.length;
        return ids;
      },
    };
    const channels = createChannels(NO_PROVIDERS, { outbox: counting });
    return Promise.resolve({
      channel: channels.fcm,
      good: (i) => ({ channel: 'fcm', uid: 'bob', deviceId: `d${i}`, token: `token-${i}` }),
      received: () => recorded,
      cleanup: async () => {
        await channels.close();
        await outbox.close();
      },
    });
  },
  {
    badRecipient: 'the outbox records every delivery: no recipient can be refused',
    unreachable: 'the outbox is a local SQLite file, not a provider on the network',
  },
);

interface Entry {
  id: number;
  channel: string;
  mid: string;
  to: string;
  deliveryId: string;
  payload: Record<string, unknown>;
}
interface Page {
  entries: Entry[];
  next: number | null;
}

describe('outbox channels and GET /api/v2/outbox', () => {
  const config: ChannelConfig = { settings: { ...NO_PROVIDERS.settings, linkBase: 'https://app.example.com' } };
  let outbox: OutboxStore;
  let channels: Channels;
  const get = async (query: string): Promise<RouteReply | ApiError> => {
    const [route] = outboxRoutes({ outbox } as unknown as AppDeps);
    if (route === undefined) throw new Error('no route');
    return route.handler({
      method: 'get',
      url: `/api/v2/outbox?${query}`,
      params: {},
      query: new URLSearchParams(query),
      body: undefined,
      unknownKeys: 'refuse',
      actor: { uid: 'admin', roles: ['admin'] },
      requestId: 'req-1',
      newMessageId: 'm',
      now: new Date(),
    });
  };
  const page = async (query: string): Promise<Page> => {
    const r = await get(query);
    if (!('body' in r)) throw new Error(`expected a page, got ${JSON.stringify(r)}`);
    expect(r.status).toBe(200);
    return r.body as Page;
  };
  beforeAll(() => {
    outbox = open();
    channels = createChannels(config, { outbox, now: () => Date.parse('2025-05-01T12:00:00Z') });
  });
  afterAll(async () => {
    await channels.close();
    await outbox.close();
  });

  it('records, for every channel, the request its provider would have received, with the recipient masked', async () => {
    const message = sampleMessage({ msg: 'hello outbox', urgency: 4, opts: { collapse: 'c1', badge: 2 } });
    const content = { kind: 'message', message } as const;
    const results = [
      await channels.webpush.deliver([
        deliveryOf(
          {
            channel: 'webpush',
            uid: 'bob',
            deviceId: 'w',
            subscription: {
              endpoint: 'https://fcm.googleapis.com/fcm/send/abcdef123456',
              keys: { p256dh: 'p', auth: 'a' },
            },
          },
          content,
        ),
      ]),
      await channels.fcm.deliver([
        deliveryOf({ channel: 'fcm', uid: 'bob', deviceId: 'f', token: 'e_nslPZejyM:APA91bHR-secret-tail99' }, content),
      ]),
      await channels.apns.deliver([
        deliveryOf(
          {
            channel: 'apns',
            uid: 'bob',
            deviceId: 'a',
            token: 'ad62ea6ea23d6974871cf59a06cbdb2783b85adbafe3355c0007362249d3e75c',
          },
          content,
        ),
      ]),
      await channels.email.deliver([
        deliveryOf({ channel: 'email', uid: 'bob', address: 'bob.smith@example.com' }, content),
      ]),
      await channels.sms.deliver([deliveryOf({ channel: 'sms', uid: 'bob', number: '+15551234567' }, content)]),
      await channels.mqtt.deliver([deliveryOf({ channel: 'mqtt', target: { kind: 'thread', tid: 'lobby' } }, content)]),
    ];
    for (const r of results)
      expect(r).toEqual([{ kind: 'delivered', providerId: expect.stringMatching(/^outbox:\d+$/) as unknown }]);
    const { entries } = await page(`mid=${message.mid}`);
    expect(entries.map((e) => [e.channel, e.to])).toEqual([
      ['mqtt', '/msgxc/thread/lobby/messages/publish'],
      ['sms', '…4567'],
      ['email', 'b…@example.com'],
      ['apns', '…d3e75c'],
      ['fcm', '…tail99'],
      ['webpush', 'https://fcm.googleapis.com/…123456'],
    ]);
    const by = Object.fromEntries(entries.map((e) => [e.channel, e.payload]));
    expect(by['webpush']).toMatchObject({
      headers: { TTL: 86400, Urgency: 'high', Topic: 'c1' },
      payload: { msg: 'hello outbox', mid: message.mid, slug: '/thread/lobby' },
    });
    expect(by['fcm']).toMatchObject({
      token: '…tail99',
      android: { priority: 'high', collapseKey: 'c1' },
      data: { mid: message.mid },
    });
    expect(by['apns']).toMatchObject({
      priority: 10,
      badge: 2,
      expiry: Date.parse('2025-05-01T12:00:00Z') / 1000 + 86400,
      alert: { body: 'hello outbox' },
    });
    expect(by['email']).toMatchObject({
      subject: 'New message in Lobby',
      to: 'b…@example.com',
      text: expect.stringContaining('https://app.example.com/thread/lobby') as unknown,
    });
    expect(by['sms']).toMatchObject({ body: 'hello outbox https://app.example.com/thread/lobby' });
    expect(by['mqtt']).toMatchObject({
      qos: 1,
      retain: false,
      payload: { id: message.mid, payload: { message: 'hello outbox', context: { type: 'thread' } } },
    });
    expect(JSON.stringify(entries)).not.toContain('bob.smith');
  });

  it('pages newest first with `before` = `next`, and filters by channel and message', async () => {
    const mid = sampleMessage().mid;
    const batch = Array.from({ length: 7 }, (_, i) =>
      deliveryOf<FcmRecipient>(
        { channel: 'fcm', uid: 'bob', deviceId: `p${i}`, token: `page-token-${i}` },
        { kind: 'message', message: sampleMessage({ mid }) },
      ),
    );
    await channels.fcm.deliver(batch);
    const first = await page(`mid=${mid}&limit=3`);
    const second = await page(`mid=${mid}&limit=3&before=${String(first.next)}`);
    const third = await page(`mid=${mid}&limit=3&before=${String(second.next)}`);
    expect([first, second, third].map((p) => p.entries.length)).toEqual([3, 3, 1]);
    expect(third.next).toBeNull();
    const ids = [first, second, third].flatMap((p) => p.entries.map((e) => e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect([first, second, third].flatMap((p) => p.entries.map((e) => e.deliveryId)).reverse()).toEqual(
      batch.map((d) => d.id),
    );
    expect((await page('channel=sms')).entries.every((e) => e.channel === 'sms')).toBe(true);
  });

  it('answers 400 naming the query parameter that is wrong', async () => {
    for (const [query, field] of [
      ['before=abc', 'before'],
      ['channel=pigeon', 'channel'],
      ['limit=0', 'limit'],
      ['mid=a%20b', 'mid'],
    ] as const) {
      expect(await get(query)).toMatchObject({
        status: 400,
        code: 'InvalidQuery',
        msg: expect.stringContaining(field) as unknown,
      });
    }
  });

  it('records a re-dispatched delivery once', async () => {
    const d = deliveryOf<FcmRecipient>({ channel: 'fcm', uid: 'bob', deviceId: 'again', token: 'again-token' });
    const [a] = await channels.fcm.deliver([d]);
    const [b] = await channels.fcm.deliver([d]);
    expect(b).toEqual(a);
    expect((await page(`mid=${d.content.kind === 'message' ? d.content.message.mid : ''}`)).entries).toHaveLength(1);
  });

  it('keeps only the newest entries beyond its bound, and keeps them across a reopen', async () => {
    const file = join(dir, 'bounded.db');
    const small = createSqliteOutbox({ file, max: 100 });
    const at = new Date().toISOString();
    for (let i = 0; i < 250; i += 50) {
      await small.record(
        Array.from({ length: 50 }, (_, j) => ({
          at,
          channel: 'sms' as const,
          deliveryId: `b-${i + j}`,
          mid: 'm',
          to: '…0000',
          payload: { n: i + j },
        })),
      );
    }
    await small.close();
    const reopened = createSqliteOutbox({ file, max: 100 });
    const p = await reopened.page({ limit: 200 });
    expect(p.entries).toHaveLength(100);
    expect(p.entries[0]?.payload).toEqual({ n: 249 });
    expect(p.entries[99]?.payload).toEqual({ n: 150 });
    await reopened.close();
  });
});
