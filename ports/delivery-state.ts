import type { Device } from '../schema/devices.js';
import type {
  DirectoryMessage,
  DueTimer,
  Engagement,
  MessageStatus,
  Contact,
  DeviceMove,
  Profile,
  PublishedData,
  StateBatch,
  ThreadEntry,
  TimerKind,
  UnitState,
  UnitStatus,
} from '../schema/delivery-state.js';
import type { PackedGroup } from '../schema/group-row.js';
import type { CheckpointStore } from './follower.js';

// Delivery's private state (delivery/README.md): the directory triage plans from, the units
// dispatch performs, the durable timers the scheduler fires, and the followers' checkpoints.
// It is derived from the log and can be dropped and rebuilt from it. Writes come in batches
// (`commit`) of idempotent changes computed by the pure folds in domain/delivery/; an engine
// applies a batch atomically where it can (SQLite: one transaction) and otherwise in order,
// the checkpoint last, so a batch applied twice changes nothing. Reads are asynchronous so
// that a networked engine (Cassandra) fits the same port; every query names the key or the
// partition it reads, and ordered scans are by a key that engine can cluster on.

export interface DirectoryReads {
  message(mid: string): Promise<DirectoryMessage | undefined>;
  /** Status and thread only: what every step checks, without the (possibly large) message. */
  messageState(mid: string): Promise<{ readonly status: MessageStatus; readonly tid: string | null } | undefined>;
  thread(tid: string): Promise<ThreadEntry | undefined>;
  /** Profiles of several users; `tid`: the message's thread, whose per-thread preferences are included. */
  profiles(uids: readonly string[], tid?: string): Promise<ReadonlyMap<string, Profile>>;
  /**
   * What dispatch checks of each of several users before a step: opt-outs (with `tid`'s) and
   * contact points, the profile without its devices and times (a dispatch job reads the push
   * devices themselves, `devicesOf`, and needs no zone: the step's time was planned).
   */
  contacts(uids: readonly string[], tid?: string): Promise<ReadonlyMap<string, Contact>>;
  device(uid: string, deviceId: string): Promise<Device | undefined>;
  /** Every device of each of several users, by uid then device id (a dispatch job's, in one read). */
  devicesOf(uids: readonly string[]): Promise<ReadonlyMap<string, ReadonlyMap<string, Device>>>;
  /**
   * The users holding `deviceId`: its holder (the latest to enlist it), and those it was taken
   * from whose revocation is not folded yet.
   */
  holders(deviceId: string): Promise<readonly string[]>;
  /** The enlistments of `deviceId` another user took, waiting for their revocation (delivery/moves.ts). */
  moves(deviceId: string): Promise<readonly DeviceMove[]>;
  /** Subscribers of a thread with uid after `after`, by uid. */
  members(tid: string, after: string, limit: number): Promise<readonly string[]>;
  /** Users known before log position `before`, with uid after `after`, by uid. */
  known(before: number, after: string, limit: number): Promise<readonly string[]>;
  /**
   * `known`'s page with each user's profile (no thread's preferences: a broadcast's), by uid,
   * read in one ordered pass: a broadcast's triage pages the directory once, not once for the
   * uids and again for their profiles.
   */
  knownProfiles(before: number, after: string, limit: number): Promise<ReadonlyMap<string, Profile>>;
}

export interface UnitReads {
  /** The units stored one by one (not in a group) that exist among `keys`. */
  get(keys: readonly string[]): Promise<ReadonlyMap<string, UnitState>>;
  /** The groups among `streams` (group streams) that exist, each with its steps. */
  groups(streams: readonly string[]): Promise<ReadonlyMap<string, readonly UnitState[]>>;
  /** The same groups packed, as stored (schema/group-row.ts): a fold that keeps them so. */
  packedGroups(streams: readonly string[]): Promise<ReadonlyMap<string, PackedGroup>>;
  /**
   * The groups holding any of the step `keys`, each with its steps: for a per-unit event about
   * a grouped step (written by a node from before batching). Slower: it reads the groups of
   * each key's message and channel.
   */
  groupsOf(keys: readonly string[]): Promise<ReadonlyMap<string, readonly UnitState[]>>;
  /** The newest revision of each group stream among `streams` folded into its group (without reading its steps). */
  groupRevisions(streams: readonly string[]): Promise<ReadonlyMap<string, number>>;
  /** Seen or read by receipt, or read by a last-read marker (inbox-wide, or the message's thread). */
  engagement(uid: string, mid: string, tid: string | undefined): Promise<Engagement>;
  /** `engagement` for several recipients of one message at once (a dispatch job's). */
  engagements(uids: readonly string[], mid: string, tid: string | undefined): Promise<ReadonlyMap<string, Engagement>>;
  cancelled(mid: string): Promise<boolean>;
  /** A newer message with the same collapse key was triaged for the recipient. */
  collapsed(uid: string, ckey: string, mid: string): Promise<boolean>;
  /** The recipients among `uids` for whom a newer message with the collapse key was triaged. */
  collapsedAmong(uids: readonly string[], ckey: string, mid: string): Promise<ReadonlySet<string>>;
  /** Claims held by an earlier run of `node`: that run is gone, so they have lapsed. */
  claimsOfEarlierRuns(node: string, run: string): Promise<readonly UnitState[]>;
}

export interface TimerReads {
  /**
   * Timers due at `now`, earliest first (by due time, then kind, then key). `after` continues
   * a pass after the last timer it was given, so a pass reads each due timer once however many
   * are in flight.
   */
  due(now: number, limit: number, after?: DueTimer): Promise<readonly DueTimer[]>;
  /** The earliest timer, due or not. */
  next(): Promise<DueTimer | undefined>;
  count(): Promise<number>;
  /** Timers of one kind due after `now`, earliest first. */
  upcoming(kind: TimerKind, now: number, limit: number): Promise<readonly DueTimer[]>;
}

export interface UpcomingMessage {
  readonly mid: string;
  readonly scheduled: string;
  readonly from: string;
  readonly audience: PublishedData['audience']['kind'];
  readonly tid?: string;
  readonly urgency: number;
  readonly msg: string;
}

export interface RecentMessage {
  readonly mid: string;
  readonly due: string;
  readonly expiresAt: string;
  readonly recipients: number;
  readonly batches: number;
  /** Delivery units (steps and digest members) by state. */
  readonly steps: Readonly<Record<UnitStatus, number>>;
}

/** msgxc's two reports (GET /api/v2/messages?scheduled=upcoming|recent). */
export interface DeliveryReports {
  /** Scheduled messages not yet due (nor cancelled), soonest first. */
  upcoming(limit: number): Promise<readonly UpcomingMessage[]>;
  /** Triaged messages, most recently triaged first. */
  recent(limit: number): Promise<readonly RecentMessage[]>;
}

export interface DeliveryStateStore {
  readonly directory: DirectoryReads;
  readonly units: UnitReads;
  readonly timers: TimerReads;
  readonly reports: DeliveryReports;
  /**
   * Delivery's followers' checkpoints and dead letters, in the follower's checkpoint model for
   * this engine (adapters/checkpoint/). A batch's `checkpoint` is written there too, with the batch.
   */
  readonly checkpoints: CheckpointStore;
  commit(batch: StateBatch): Promise<void>;
  close(): Promise<void>;
}
