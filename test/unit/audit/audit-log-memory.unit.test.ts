import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import type { RecordedEvent } from '../../../ports/eventstore.js';
import { auditLogContract } from '../../contract/audit-log.contract.js';

// The memory engine hands out the records it holds, so a test can change them in place
// as someone with the file would.
auditLogContract(
  'memory',
  () => {
    const store = createMemoryEventStore();
    const held = async (e: RecordedEvent): Promise<RecordedEvent[]> => {
      const [mine] = await store.readAll({ after: e.position - 1, limit: 1 });
      if (mine === undefined) throw new Error(`no event at ${String(e.position)}`);
      return [mine, ...(await store.read(e.stream))];
    };
    return Promise.resolve({
      store,
      tamper: {
        alter: async (e) => {
          for (const r of await held(e))
            if (r.position === e.position) (r as { data: unknown }).data = { altered: true };
        },
      },
      cleanup: () => store.close(),
    });
  },
  { alter: true, remove: false },
);
