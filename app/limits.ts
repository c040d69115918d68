import type { CountedEventStore } from '../adapters/eventstore/in-flight.js';
import { startEventLoopLag } from '../adapters/load/event-loop.js';
import type { Metrics } from '../api/metrics.js';
import type { RateMemory } from '../api/rate-limits.js';
import { createRequestLimits, type RequestLimits } from '../api/request-limits.js';
import type { Config } from '../schema/config.js';

// The node's rate limits and load shedding (docs/limits.md): what they measure, and the
// metrics that show them working.
export interface NodeLimits {
  readonly requestLimits: RequestLimits;
  stop(): void;
}

/** `rateMemory`: the main thread's buckets, on an HTTP worker thread (the budgets are per node). */
export const startLimits = (
  config: Config,
  store: CountedEventStore,
  metrics: Metrics,
  rateMemory?: RateMemory,
): NodeLimits => {
  const lag = startEventLoopLag();
  const requestLimits = createRequestLimits(
    config.limits,
    {
      appendsInFlight: () => store.appendsInFlight(),
      eventLoopLagMs: () => lag.lagMs(),
    },
    rateMemory,
  );
  const { shedder, rates } = requestLimits;
  metrics.help('msgxc_rate_limited_total', 'counter', 'Requests and frames refused 429, by limit');
  metrics.help('msgxc_shed_total', 'counter', 'Commands refused 503 because the node was overloaded, by reason');
  metrics.gauge('msgxc_log_appends_in_flight', 'Appends waiting for the log', () => store.appendsInFlight());
  metrics.gauge('msgxc_log_appends_in_flight_peak', 'Most appends waiting for the log at once since start', () =>
    store.peakAppendsInFlight(),
  );
  metrics.gauge('msgxc_writes_in_flight', 'Commands admitted and not yet answered', () => shedder.inProgress());
  metrics.gauge('msgxc_writes_in_flight_peak', 'Most commands admitted at once since start', () =>
    shedder.peakInProgress(),
  );
  metrics.gauge(
    'msgxc_event_loop_lag_seconds',
    'Median event-loop delay over the last second',
    () => lag.lagMs() / 1000,
  );
  metrics.gauge('msgxc_rate_limit_buckets', 'Token buckets held, every limit together', () => rates.size());
  return {
    requestLimits,
    stop: () => {
      lag.stop();
    },
  };
};
