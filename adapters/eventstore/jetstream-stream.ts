import type { JetStreamApi, RetryPolicy } from './jetstream-api.js';
import { JetStreamApiError, STREAM_NOT_FOUND, retrying } from './jetstream-api.js';

export interface StreamSettings {
  readonly name: string;
  readonly filter: string;
  readonly replicas: number;
}

const STREAM_NAME_IN_USE = 10058;

// The log as a JetStream stream: file storage, kept forever (limits retention with no
// limits), and closed to message deletion and purges, since projections and audits
// rebuild from it. The 2-minute duplicate window is the server's default; it only has to
// outlast one append's retries.
const streamConfig = (s: StreamSettings) => ({
  name: s.name,
  subjects: [s.filter],
  storage: 'file',
  retention: 'limits',
  discard: 'old',
  num_replicas: s.replicas,
  duplicate_window: 120_000_000_000,
  deny_delete: true,
  deny_purge: true,
  allow_direct: false,
});

const info = async (
  api: JetStreamApi,
  retry: RetryPolicy,
  name: string,
): Promise<{ config: { subjects?: string[] } } | undefined> => {
  try {
    return (await retrying(retry, () => api.call(`STREAM.INFO.${name}`))) as { config: { subjects?: string[] } };
  } catch (e) {
    if (e instanceof JetStreamApiError && e.api.err_code === STREAM_NOT_FOUND) return undefined;
    throw e;
  }
};

/** Creates the stream if it is missing; refuses one whose subjects are not ours. */
export const ensureStream = async (
  api: JetStreamApi,
  retry: RetryPolicy,
  settings: StreamSettings,
  create: boolean,
): Promise<void> => {
  let existing = await info(api, retry, settings.name);
  if (existing === undefined) {
    if (!create) throw new Error(`JetStream stream ${settings.name} does not exist (and creating it was not allowed)`);
    try {
      await retrying(retry, () => api.call(`STREAM.CREATE.${settings.name}`, streamConfig(settings)));
      return;
    } catch (e) {
      // Another node created it first, with the same or another configuration: look again.
      if (!(e instanceof JetStreamApiError && e.api.err_code === STREAM_NAME_IN_USE)) throw e;
      existing = await info(api, retry, settings.name);
    }
  }
  const subjects = existing?.config.subjects ?? [];
  if (!subjects.includes(settings.filter)) {
    throw new Error(
      `JetStream stream ${settings.name} captures ${JSON.stringify(subjects)}, not ${settings.filter}: choose another stream name or subject prefix`,
    );
  }
};
