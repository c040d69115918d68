// Close codes a websocket session can end with (RFC 6455 ranges: 1000-1015 protocol, 4000-4999
// private). Clients reconnect (with ?since=) on anything but 4001, 4003 and 4029, which need a
// new token or a fix on the client's side first. Mirrored in web/client/client.ts.
export const CloseCode = {
  /** The client closed normally. */
  Normal: 1000,
  /** The node is shutting down: reconnect (to any node) and resume. */
  GoingAway: 1001,
  /** A frame larger than the payload limit (uWS ends the session itself). */
  TooBig: 1009,
  /** The server failed to set the session up (a bug, logged on the server): reconnect. */
  InternalError: 1011,
  /** The bus was interrupted (here or on a peer node): live frames may be lost, so reconnect and resume. */
  Resync: 1012,
  /** The session could not be set up (the read side was unavailable): retry with backoff. */
  TryAgainLater: 1013,
  /** The token expired while connected: reconnect with a fresh token. */
  TokenExpired: 4001,
  /** An `auth` frame carried a token for another user, or a token that does not verify. */
  Forbidden: 4003,
  /** Too many frames or bytes per second from the client. */
  Flood: 4029,
  /** The client read too slowly: more than the backpressure limit was waiting to be sent. */
  SlowConsumer: 4030,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
