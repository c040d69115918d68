import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createNatsBus } from '../../adapters/bus/nats.js';
import { busContract } from '../contract/bus.contract.js';
import { needs } from '../infra/needs.js';
import { natsSingleTargets } from '../infra/nats-targets.js';

// Against real nats-servers (test/infra), once per release the run carries (Debian's 2.9 and
// the current release): two connections are two nodes. A fresh subject prefix per test keeps
// runs sharing one server apart. Without a release's server its tests are reported skipped.
for (const target of natsSingleTargets()) {
  needs(target.urlVar, `NATS bus on ${target.label}`, (url) => {
    busContract(`nats, ${target.label}`, async () => {
      const prefix = `t${randomUUID().slice(0, 8)}`;
      const a = await createNatsBus({ servers: url, prefix });
      const b = await createNatsBus({ servers: url, prefix });
      return {
        a,
        b,
        close: async () => {
          await a.close();
          await b.close();
        },
      };
    });

    needs(target.monitorVar, `NATS bus on ${target.label}: one subscription per node and kind`, (monitor) => {
      it('holds one wildcard subscription per kind on the server, whatever the number of keys', async () => {
        const prefix = `t${randomUUID().slice(0, 8)}`;
        const name = `bus-test-${prefix}`;
        const bus = await createNatsBus({ servers: url, prefix, name });
        for (const kind of ['user', 'thread', 'broadcast', 'presence'] as const) bus.subscribe(kind, () => undefined);
        for (let i = 0; i < 100; i += 1) {
          bus.publish('user', `u${i}`, 'x');
          bus.publish('thread', `t${i}`, 'x');
        }
        await bus.flush();
        // The server's own view of this connection (its monitoring endpoint), not the client's.
        const connz = (await (await fetch(`${monitor}/connz?subs=1`)).json()) as {
          connections: { name?: string; subscriptions_list?: string[] }[];
        };
        const mine = connz.connections.find((c) => c.name === name);
        expect(mine?.subscriptions_list?.sort()).toEqual([
          `${prefix}.broadcast`,
          `${prefix}.presence.*`,
          `${prefix}.thread.*`,
          `${prefix}.user.*`,
        ]);
        await bus.close();
      });
    });
  });
}
