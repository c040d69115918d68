import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

// A TCP relay between a broker and a server (nats-server), which a test can cut: the broker
// sees its connection drop (cut) or the server become unreachable (block) exactly when the
// test says, while the real server keeps running for everyone else.
export interface Relay {
  readonly port: number;
  /** Drops every open connection; new ones are relayed again. */
  cut(): void;
  /** Drops every open connection and refuses new ones until unblock(). */
  block(): void;
  unblock(): void;
  /** Connections accepted so far (each reconnect of the broker counts). */
  connections(): number;
  close(): Promise<void>;
}

export const startRelay = async (target: string): Promise<Relay> => {
  const url = new URL(target);
  const open = new Set<Socket>();
  let blocked = false;
  let accepted = 0;
  const server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    accepted += 1;
    const upstream = connect(Number(url.port), url.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
      s.on('error', () => {
        s.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const cut = (): void => {
    for (const s of [...open]) s.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut,
    block: () => {
      blocked = true;
      cut();
    },
    unblock: () => {
      blocked = false;
    },
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => {
          resolve();
        });
      }),
  };
};
