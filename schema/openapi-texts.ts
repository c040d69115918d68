// Descriptions of the error answers every command and authenticated route shares (schema/openapi.ts).

// Shed commands hold nothing (docs/limits.md); a FailedToAppend may or may not be in the log.
export const SHED =
  'Overloaded: the node has MSGXC_SHED_QUEUE writes in flight or its event loop lags more than MSGXC_SHED_LAG_MS (nothing was run); or FailedToAppend: the log did not answer in time (the write may or may not be in the log: retry with the same Idempotency-Key). Retry after Retry-After';

export const RATE_LIMITED =
  "RateLimited: the caller's budget (MSGXC_RATE_USER_WRITES for commands, MSGXC_RATE_USER_READS for reads, MSGXC_RATE_ADMIN for admins when set), or the address's budget of failed authentications (MSGXC_RATE_IP), is spent; `msg` names the limit, Retry-After says when to try again";
