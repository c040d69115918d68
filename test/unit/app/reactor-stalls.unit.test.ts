import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../api/metrics.js';
import type { AppDeps } from '../../../api/deps.js';
import { opsRoutes } from '../../../api/routes/ops.js';
import { deliveryGauges, type Delivery } from '../../../app/delivery.js';
import type { ReactorStatus } from '../../../delivery/runner.js';
import type { EventStore } from '../../../ports/eventstore.js';

// A triage or dispatch batch that keeps failing (JetStream refusing an append over its
// max_payload was one) plans or sends nothing after it, for ever. The read models' stalls were
// in /readyz and msgxc_projection_stalled_seconds; the reactors' were in neither on a node that
// serves the API: an operator saw only a growing lag.
const since = new Date(Date.now() - 90_000).toISOString();
const status: ReactorStatus[] = [
  { name: 'triage', position: 41, stalled: { position: 41, since, attempts: 22 } },
  { name: 'dispatch', position: 57, inFlight: 0 },
];
const store = { head: () => Promise.resolve(60) } as unknown as EventStore;

describe("the delivery reactors' stalls", () => {
  it('are in GET /readyz beside the projections', async () => {
    const deps = {
      ready: () => true,
      store,
      projections: { status: () => [{ name: 'reads', position: 60 }] },
      reactors: () => status,
    } as unknown as AppDeps;
    const readyz = opsRoutes(deps, () => ({})).find((r) => r.path === '/readyz');
    const reply = (await readyz?.handler({} as never)) as { status: number; body: Record<string, unknown> };
    expect(reply.status).toBe(200);
    expect(reply.body['reactors']).toEqual(status);
    expect(reply.body['projections']).toEqual([{ name: 'reads', position: 60 }]);
  });

  it('leave /readyz as it was on a node without them', async () => {
    const deps = {
      ready: () => true,
      store,
      projections: { status: () => [] },
    } as unknown as AppDeps;
    const readyz = opsRoutes(deps, () => ({})).find((r) => r.path === '/readyz');
    const reply = (await readyz?.handler({} as never)) as { body: Record<string, unknown> };
    expect(reply.body).not.toHaveProperty('reactors');
  });

  it('are measured by msgxc_delivery_stalled_seconds (0 once none fails)', async () => {
    const metrics = createMetrics();
    let now = status;
    const delivery = { reactors: { status: () => now } } as unknown as Delivery;
    deliveryGauges(metrics, store, delivery);
    const value = async (): Promise<number> =>
      Number(/^msgxc_delivery_stalled_seconds (\S+)$/m.exec(await metrics.render())?.[1]);
    expect(await value()).toBeGreaterThanOrEqual(89);
    now = [
      { name: 'triage', position: 60 },
      { name: 'dispatch', position: 60 },
    ];
    expect(await value()).toBe(0);
  });
});
