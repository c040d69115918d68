import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { parseNatsUrl } from '../../adapters/eventstore/url.js';
import { openEventStore } from '../../app/engines.js';
import { openJetStreamEventStore } from '../../adapters/eventstore/jetstream.js';
import { subjectScheme } from '../../adapters/eventstore/jetstream-subjects.js';
import type { EventToAppend } from '../../ports/eventstore.js';
import { natsSingleTargets } from '../infra/nats-targets.js';

// Choosing the log by one setting (MSGXC_EVENTSTORE): the embedded engine, a nats:// URL with
// its JetStream settings, and the subject scheme JetStream stream names are mapped through.
// The engine's own behaviour is in eventstore-jetstream.int.test.ts.
const singles = natsSingleTargets();
const unique = (): { streamName: string; subjectPrefix: string } => {
  const id = randomBytes(6).toString('hex');
  return { streamName: `MSGXC_T_${id}`, subjectPrefix: `t${id}` };
};
const evs = (n: number): EventToAppend[] =>
  Array.from({ length: n }, (_, i) => ({
    type: `E${String(i)}`,
    data: { i },
    metadata: {
      eventId: `e-${String(i)}`,
      occurredAt: '2024-05-01T12:00:00.000Z',
      actor: { uid: 'u', roles: [] },
      correlationId: 'c',
      causationId: 'c',
    },
  }));

describe('JetStream subject scheme', () => {
  it('round-trips any stream name and append ordinal through safe subject tokens', () => {
    const scheme = subjectScheme('msgxc');
    for (const [i, s] of ['a', 'thread:lobby', 'a.b', '*', '>', 'x y', 'ü🎉', '-_.:'].entries()) {
      const subject = scheme.subjectOf(s, i * 1000);
      expect(subject).toMatch(/^msgxc\.events\.[A-Za-z0-9_-]+\.\d+$/);
      expect(scheme.parse(subject)).toEqual({ stream: s, ordinal: i * 1000 });
    }
    expect(scheme.parse('other.events.YQ.0')).toBeUndefined();
    expect(scheme.parse('msgxc.events.YQ')).toBeUndefined();
    expect(scheme.parse('msgxc.events.YQ.01')).toBeUndefined();
    expect(() => scheme.subjectOf('', 0)).toThrow();
    expect(() => subjectScheme('bad prefix')).toThrow();
  });
});

describe('openEventStore (MSGXC_EVENTSTORE)', () => {
  it('reads a NATS seed list and JetStream settings from one URL, and refuses typos', () => {
    expect(parseNatsUrl('nats://a:4222, nats://b:4223,c:4224?stream=EV&prefix=x.y&replicas=3&timeout=900')).toEqual({
      servers: ['nats://a:4222', 'nats://b:4223', 'nats://c:4224'],
      options: { streamName: 'EV', subjectPrefix: 'x.y', replicas: 3, requestTimeoutMs: 900 },
    });
    expect(parseNatsUrl('nats://u:secret@a:4222')).toEqual({ servers: ['nats://u:secret@a:4222'], options: {} });
    expect(() => parseNatsUrl('nats://u:secret@a:4222?replica=3')).toThrow(
      /^MSGXC_EVENTSTORE=nats:\/\/\*\*\*@a:4222\?replica=3: unknown setting replica/,
    );
    expect(() => parseNatsUrl('nats://a?replicas=0')).toThrow(/replicas must be/);
    expect(() => parseNatsUrl('nats://')).toThrow(/no NATS server/);
  });

  it('opens the embedded engine in the data directory and refuses an unknown scheme', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-open-'));
    try {
      const store = await openEventStore('embedded', { dataDir: dir });
      expect(await store.append('s', evs(1), 'no_stream')).toMatchObject({ kind: 'appended' });
      await store.close();
      const again = await openEventStore('embedded', { dataDir: dir });
      expect(await again.read('s')).toHaveLength(1);
      await again.close();
      await expect(openEventStore('postgres://x', { dataDir: dir })).rejects.toThrow(/MSGXC_EVENTSTORE=postgres/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const natsUrl = singles.find((t) => t.url !== undefined)?.url ?? '';
  it.skipIf(natsUrl === '')(
    'opens JetStream from a nats:// URL with its settings (needs MSGXC_TEST_NATS_URL or MSGXC_TEST_NATS_CURRENT_URL)',
    async () => {
      const names = unique();
      const store = await openEventStore(`${natsUrl}?stream=${names.streamName}&prefix=${names.subjectPrefix}`, {
        dataDir: '/nonexistent',
      });
      const check = await openJetStreamEventStore({ servers: natsUrl, ...names, createStream: false });
      try {
        await store.append('via-url', evs(2), 'no_stream');
        expect((await check.read('via-url')).map((e) => e.revision)).toEqual([0, 1]);
      } finally {
        await store.close();
        await check.close();
        const nc = await connect({ servers: natsUrl });
        await nc.request(`$JS.API.STREAM.DELETE.${names.streamName}`, undefined, { timeout: 10_000 });
        await nc.close();
      }
    },
  );
});
