import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION as serverVersion } from '../../../schema/frames.js';
import { PROTOCOL_VERSION as clientVersion } from '../../../web/client/client.js';

// The browser client imports no runtime code (it is served as one module), so it keeps its own
// copy of the protocol version; the server's comes from the frame codecs.
describe('websocket protocol version', () => {
  it('is the same in the client library and in the frame codecs', () => {
    expect(clientVersion).toBe(serverVersion);
  });
});
