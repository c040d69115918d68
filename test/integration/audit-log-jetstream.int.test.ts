import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { afterAll } from 'vitest';
import { openJetStreamEventStore } from '../../adapters/eventstore/jetstream.js';
import { SLOTS, splitPosition } from '../../adapters/eventstore/jetstream-subjects.js';
import type { RecordedEvent } from '../../ports/eventstore.js';
import { auditLogContract } from '../contract/audit-log.contract.js';
import { needs } from '../infra/needs.js';
import { natsSingleTargets } from '../infra/nats-targets.js';

// The auditors' log on JetStream. The broker's stream refuses message deletes, and the server
// refuses to lift that (jetstream-stream.ts), so whoever wants to change the log with the
// JetStream API must delete the whole stream and publish it again, changed: the tampering
// here does exactly that, keeping every other message's subject, body and order.
const js =
  (nc: NatsConnection) =>
  async (verb: string, body: unknown): Promise<Record<string, unknown>> => {
    const reply = await nc.request(`$JS.API.${verb}`, JSON.stringify(body), { timeout: 10_000 });
    const answer = JSON.parse(new TextDecoder().decode(reply.data)) as Record<string, unknown>;
    if (answer['error'] !== undefined) throw new Error(`${verb}: ${JSON.stringify(answer['error'])}`);
    return answer;
  };

interface Envelope {
  e: { d: unknown }[];
}

for (const target of natsSingleTargets()) {
  needs(target.urlVar, `nats-server ${target.label}`, (url) => {
    let shared: NatsConnection | undefined;
    afterAll(async () => {
      await shared?.close();
    });
    auditLogContract(`JetStream ${target.label}`, async () => {
      const nc = (shared ??= await connect({ servers: url }));
      const api = js(nc);
      const id = randomBytes(6).toString('hex');
      const names = { streamName: `MSGXC_A_${id}`, subjectPrefix: `a${id}` };
      const store = await openJetStreamEventStore({ servers: url, ...names });
      // Deletes the stream and publishes its messages again, through `edit` (undefined drops one).
      const rewrite = async (edit: (seq: number, body: Envelope) => Envelope | undefined): Promise<void> => {
        const info = await api(`STREAM.INFO.${names.streamName}`, {});
        const last = (info['state'] as { last_seq: number }).last_seq;
        const messages: { seq: number; subject: string; body: Envelope }[] = [];
        for (let seq = 1; seq <= last; seq++) {
          const m = (await api(`STREAM.MSG.GET.${names.streamName}`, { seq }))['message'] as {
            subject: string;
            data: string;
          };
          messages.push({
            seq,
            subject: m.subject,
            body: JSON.parse(Buffer.from(m.data, 'base64').toString('utf8')) as Envelope,
          });
        }
        await api(`STREAM.DELETE.${names.streamName}`, {});
        await api(`STREAM.CREATE.${names.streamName}`, info['config']);
        for (const m of messages) {
          const body = edit(m.seq, m.body);
          if (body !== undefined) await nc.request(m.subject, JSON.stringify(body), { timeout: 10_000 });
        }
      };
      return {
        store,
        tamper: {
          alter: (e) =>
            rewrite((seq, body) => {
              const stored = body.e[e.position % SLOTS];
              if (seq === splitPosition(e.position).seq && stored !== undefined) stored.d = { altered: true };
              return body;
            }),
          remove: (e: RecordedEvent) =>
            rewrite((seq, body) => (seq === splitPosition(e.position).seq ? undefined : body)),
        },
        cleanup: async () => {
          await store.close();
          await api(`STREAM.DELETE.${names.streamName}`, {});
        },
      };
    });
  });
}
