import type { EventStore } from '../ports/eventstore.js';
import type { IdGenerator } from '../ports/ids.js';
import type { PersonalData } from '../ports/keystore.js';
import { DEFAULT_PUSH_SERVICE_HOSTS, type PushHosts } from '../schema/push-endpoint.js';
import { acknowledge } from './acknowledge.js';
import { addMember } from './add-member.js';
import { broadcast } from './broadcast.js';
import { cancel } from './cancel.js';
import { changeProfile } from './change-profile.js';
import { changeThreadSettings } from './change-thread-settings.js';
import { checkIn } from './check-in.js';
import { createThread } from './create-thread.js';
import { deleteFromInbox } from './delete-from-inbox.js';
import { deleteMessage } from './delete-message.js';
import { importUser } from './import-user.js';
import { recordImportPart } from './record-import-part.js';
import { defineSegment, loadSegment } from './define-segment.js';
import type { CommandDeps } from './deps.js';
import { enlist } from './enlist.js';
import { eraseUser } from './erase-user.js';
import { createLru } from './lru.js';
import { loadMessage } from './load-message.js';
import { loadProfile } from './load-profile.js';
import { markRead } from './mark-read.js';
import { multicast } from './multicast.js';
import { multicastAudience } from './multicast-audience.js';
import { publish } from './publish.js';
import { recognize } from './recognize.js';
import { removeDevice } from './remove-device.js';
import { removeMember } from './remove-member.js';
import { revokeDevice } from './revoke-device.js';
import type { RevokeDevice } from './revoke-device.js';
import { send } from './send.js';
import type { CachedSnapshot } from './stream-state.js';
import { subscribe } from './subscribe.js';
import type { Commands } from './types.js';
import { unsubscribe } from './unsubscribe.js';

export interface CommandOptions {
  readonly store: EventStore;
  readonly ids: Pick<IdGenerator, 'randomId'>;
  /** Streams whose folded state is kept in memory (default 10,000). */
  readonly cacheSize?: number;
  /** Users remembered as recognized (default 100,000). */
  readonly recognizedSize?: number;
  readonly maxAttempts?: number;
  /** Hosts web push endpoints may name when enlisted (default: the browsers' push services). */
  readonly allowedPushHosts?: PushHosts;
  /** The log's sealing (adapters/eventstore/sealed.ts): an erasure destroys the user's keys through it. */
  readonly personal?: PersonalData;
}

export type CommandSide = Commands & { readonly revokeDevice: RevokeDevice };

export const createCommands = (options: CommandOptions): CommandSide => {
  const deps: CommandDeps = {
    store: options.store,
    env: {
      cache: createLru<string, CachedSnapshot>(options.cacheSize ?? 10_000),
      newId: () => options.ids.randomId(),
      turns: new Map(),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    },
    recognized: createLru<string, number>(options.recognizedSize ?? 100_000),
    allowedPushHosts: options.allowedPushHosts ?? DEFAULT_PUSH_SERVICE_HOSTS,
    ...(options.personal !== undefined ? { personal: options.personal } : {}),
  };
  return {
    recognize: recognize(deps),
    enlist: enlist(deps),
    importUser: importUser(deps),
    recordImportPart: recordImportPart(deps),
    defineSegment: defineSegment(deps),
    loadSegment: loadSegment(deps),
    changeProfile: changeProfile(deps),
    revokeDevice: revokeDevice(deps),
    createThread: createThread(deps),
    subscribe: subscribe(deps),
    unsubscribe: unsubscribe(deps),
    addMember: addMember(deps),
    removeMember: removeMember(deps),
    changeThreadSettings: changeThreadSettings(deps),
    removeDevice: removeDevice(deps),
    loadProfile: loadProfile(deps),
    publish: publish(deps),
    send: send(deps),
    multicast: multicast(deps),
    broadcast: broadcast(deps),
    multicastAudience: multicastAudience(deps),
    cancel: cancel(deps),
    deleteMessage: deleteMessage(deps),
    acknowledge: acknowledge(deps),
    markRead: markRead(deps),
    deleteFromInbox: deleteFromInbox(deps),
    checkIn: checkIn(deps),
    eraseUser: eraseUser(deps),
    loadMessage: loadMessage(deps),
  };
};
