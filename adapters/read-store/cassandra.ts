import { Client, auth, policies, types } from 'cassandra-driver';

// A client for the read side (projections/ writes its CQL through the client it is given and
// never creates one): token-aware routing over the local data center's nodes, LOCAL_QUORUM
// reads by default (as projections/cassandra-db.ts `CL.read`).

/**
 * The driver's default retries a timed-out write only for the batch log, and a read once. A
 * replica set that is busy (compaction, a long GC, a loaded machine) answers a timeout that
 * the next try usually does not meet, and each retry here is safe: only statements marked
 * idempotent (the projections' writes carry their own write timestamps, checkpoints and reads
 * are idempotent) are retried, a few times; the rest fail as before.
 */
const RETRIES = 3;
class IdempotentTimeoutRetry extends policies.retry.RetryPolicy {
  override onWriteTimeout(
    info: policies.retry.OperationInfo,
    consistency: types.consistencies,
    received: number,
    blockFor: number,
    writeType: string,
  ): policies.retry.DecisionInfo {
    return this.again(info, consistency) ?? super.onWriteTimeout(info, consistency, received, blockFor, writeType);
  }
  override onReadTimeout(
    info: policies.retry.OperationInfo,
    consistency: types.consistencies,
    received: number,
    blockFor: number,
    isDataPresent: boolean,
  ): policies.retry.DecisionInfo {
    return this.again(info, consistency) ?? super.onReadTimeout(info, consistency, received, blockFor, isDataPresent);
  }
  private again(
    info: policies.retry.OperationInfo,
    consistency: types.consistencies,
  ): policies.retry.DecisionInfo | undefined {
    return info.executionOptions.isIdempotent() && info.nbRetry < RETRIES
      ? this.retryResult(consistency, false)
      : undefined;
  }
}
export const createCassandraClient = (o: {
  readonly contactPoints?: readonly string[];
  readonly localDataCenter: string;
  readonly credentials?: { readonly username: string; readonly password: string };
}): Client =>
  new Client({
    contactPoints: [...(o.contactPoints ?? [])],
    localDataCenter: o.localDataCenter,
    policies: {
      retry: new IdempotentTimeoutRetry(),
      loadBalancing: new policies.loadBalancing.TokenAwarePolicy(
        new policies.loadBalancing.DCAwareRoundRobinPolicy(o.localDataCenter),
      ),
    },
    queryOptions: { consistency: types.consistencies.localQuorum, prepare: true },
    ...(o.credentials === undefined
      ? {}
      : { authProvider: new auth.PlainTextAuthProvider(o.credentials.username, o.credentials.password) }),
  });
