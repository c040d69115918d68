import { Client, auth, policies, types } from 'cassandra-driver';

// A client for the read side (projections/ writes its CQL through the client it is given and
// never creates one): token-aware routing over the local data center's nodes, LOCAL_QUORUM
// reads by default (as projections/cassandra-db.ts `CL.read`).
export const createCassandraClient = (o: {
  readonly contactPoints?: readonly string[];
  readonly localDataCenter: string;
  readonly credentials?: { readonly username: string; readonly password: string };
}): Client =>
  new Client({
    contactPoints: [...(o.contactPoints ?? [])],
    localDataCenter: o.localDataCenter,
    policies: {
      loadBalancing: new policies.loadBalancing.TokenAwarePolicy(
        new policies.loadBalancing.DCAwareRoundRobinPolicy(o.localDataCenter),
      ),
    },
    queryOptions: { consistency: types.consistencies.localQuorum, prepare: true },
    ...(o.credentials === undefined
      ? {}
      : { authProvider: new auth.PlainTextAuthProvider(o.credentials.username, o.credentials.password) }),
  });
