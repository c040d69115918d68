import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openEventStoreDbEventStore } from '../../adapters/eventstore/eventstoredb.js';
import { eventUuid } from '../../adapters/eventstore/eventstoredb-mapping.js';
import { auditLogContract } from '../contract/audit-log.contract.js';
import { eventStoreContract } from '../contract/eventstore.contract.js';
import { needs } from '../infra/needs.js';

// The shared EventStore contract against a real EventStoreDB / KurrentDB, when one is
// given: MSGXC_EVENTSTORE_URL=esdb://127.0.0.1:2113?tls=false (deploy/docker-compose.yml
// starts one). No server can be had on the machine this was written on, so there it is
// reported as skipped. Each store gets its own stream prefix, so runs share a database
// without seeing each other's events (they are left in the database afterwards).
needs('MSGXC_EVENTSTORE_URL', 'EventStoreDB contract', (url) => {
  eventStoreContract('EventStoreDB', () => {
    const store = openEventStoreDbEventStore({
      connectionString: url,
      streamPrefix: `t${randomBytes(6).toString('hex')}:`,
    });
    return Promise.resolve({ store, cleanup: () => store.close() });
  });
});

// These need no server: they pin down the parts of the mapping and the failure path that
// do not depend on one.
describe('EventStoreDB adapter without a server', () => {
  it('gives every event id a stable UUID, keeping ids that already are UUIDs', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(eventUuid('evt-1')).toMatch(uuid);
    expect(eventUuid('evt-1')).toBe(eventUuid('evt-1'));
    expect(eventUuid('evt-1')).not.toBe(eventUuid('evt-2'));
    expect(eventUuid('0190F3A2-1234-7ABC-8DEF-0123456789AB')).toBe('0190f3a2-1234-7abc-8def-0123456789ab');
  });

  it('fails an append to an unreachable server once the retry budget is spent, and closes', async () => {
    const store = openEventStoreDbEventStore({ connectionString: 'esdb://127.0.0.1:1?tls=false', retryForMs: 300 });
    const metadata = {
      eventId: 'e-1',
      occurredAt: '2024-05-01T12:00:00.000Z',
      actor: { uid: 'u', roles: [] },
      correlationId: 'c',
      causationId: 'c',
    };
    await expect(store.append('s', [{ type: 'X', data: {}, metadata }], 'no_stream')).rejects.toThrow(
      /UNAVAILABLE|Unavailable/i,
    );
    await store.close();
  });
});

// The auditors' log (filters, streams, the chain and verify) on EventStoreDB. Its events
// cannot be edited or removed one by one through its API, so no tampering is run there.
needs('MSGXC_EVENTSTORE_URL', 'EventStoreDB audit log', (url) => {
  auditLogContract(
    'EventStoreDB',
    () => {
      const store = openEventStoreDbEventStore({
        connectionString: url,
        streamPrefix: `a${randomBytes(6).toString('hex')}:`,
      });
      return Promise.resolve({ store, tamper: {}, cleanup: () => store.close() });
    },
    { alter: false, remove: false },
  );
});
