import { createInProcessBus } from '../../adapters/bus/in-process.js';
import { createNatsBus } from '../../adapters/bus/nats.js';
import type { Bus } from '../../ports/bus.js';
import type { Logger } from '../log.js';

/** The bus chosen by MSGXC_BUS: in-process (one node) or NATS (several nodes). */
export const openBus = async (
  config: { bus: 'inprocess' | 'nats'; natsUrl?: string; busPrefix: string; nodeId: string },
  log: Logger,
): Promise<Bus> => {
  const onError = (e: unknown): void => {
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'bus error');
  };
  if (config.bus === 'inprocess') return createInProcessBus({ onError });
  if (config.natsUrl === undefined) throw new Error('MSGXC_NATS_URL is required with MSGXC_BUS=nats');
  return createNatsBus({ servers: config.natsUrl, prefix: config.busPrefix, name: `msgxc-${config.nodeId}`, onError });
};
