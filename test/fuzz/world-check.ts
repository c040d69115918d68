import type { Reader } from './reader.js';
import type { World } from './world.js';

// Nothing accepted is ever lost: every message the run saw acknowledged, and has not seen
// cancelled or retracted, is still readable by its sender with the same text. Run after a
// read-model rebuild and at the end of each seed's run (the newest `max` messages).
export const recheckWorld = async (reader: Reader, world: World, max = 300): Promise<string[]> => {
  const live = [...world.messages.values()].filter((m) => m.live).slice(-max);
  const problems: string[] = [];
  for (const m of live) {
    const a = await reader.as(m.from, [], 'GET', `/api/v2/messages/${encodeURIComponent(m.mid)}`);
    const got = a.json as { msg?: unknown } | undefined;
    if (a.status !== 200 || got?.msg !== m.msg)
      problems.push(`acknowledged message ${m.mid} from ${m.from} reads back ${a.status} ${a.text.slice(0, 200)}`);
  }
  return problems;
};
