import WebSocket from 'ws';
import type { Server } from './harness.js';

// A webservice-notification client (seed 003: `socket.emit(name, data)` sends `{name, data}`;
// frames come back as `{name, data}` with `data` a JSON string of a list), on the
// `?compat=webservice-notification` mode of the websocket endpoint.
interface WsnFrame {
  name: string;
  data: string;
}
export interface Client {
  frames: WsnFrame[];
  emit(name: string, data?: unknown): void;
  next(name: string): Promise<unknown[]>;
  close(): void;
}

export const connect = async (s: Server, jwt: string): Promise<Client> => {
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api/v2/ws?compat=webservice-notification`, {
    headers: { authorization: `Bearer ${jwt}` },
  });
  const frames: WsnFrame[] = [];
  let cursor = 0;
  const waiters = new Set<() => void>();
  ws.on('message', (d: Buffer) => {
    frames.push(JSON.parse(d.toString()) as WsnFrame);
    for (const w of waiters) w();
  });
  await new Promise<void>((res, rej) => {
    ws.once('open', () => {
      res();
    });
    ws.once('error', rej);
  });
  return {
    frames,
    emit: (name, data) => {
      ws.send(JSON.stringify({ name, data }));
    },
    next: (name) =>
      new Promise((res, rej) => {
        const timer = setTimeout(() => {
          rej(new Error(`no ${name} frame: ${JSON.stringify(frames)}`));
        }, 10_000);
        const check = (): void => {
          for (; cursor < frames.length; cursor += 1) {
            const f = frames[cursor];
            if (f?.name === name) {
              cursor += 1;
              clearTimeout(timer);
              waiters.delete(check);
              res(JSON.parse(f.data) as unknown[]);
              return;
            }
          }
        };
        waiters.add(check);
        check();
      }),
    close: () => {
      ws.close();
    },
  };
};
