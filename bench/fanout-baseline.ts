// The fan-out benchmark's baseline: a bare uWS app with no broker behind it. Every socket
// joins topic `bench`; `GET /publish?n=<count>` calls app.publish in a loop (inside the uWS
// request handler, as uWS intends) with frames shaped like the broker's, stamped with their
// publish time, and answers the first stamp. `POST /api/v2/publish` with a JSON body `{msg}`
// publishes one frame carrying that `msg` (stamped by the caller: bench/centrifugo's
// `uws-bare`, the same HTTP publish -> receive path as the brokers', with nothing behind it).
// Prints `listening <port>` first.
import { loadUws } from '../api/uws.js';

const { uws } = loadUws(false);
const app = uws.App();
app.ws('/api/v2/ws', {
  compression: uws.DISABLED,
  maxBackpressure: 16 * 1024 * 1024,
  idleTimeout: 120,
  open: (ws) => {
    ws.subscribe('bench');
    ws.send('{"type":"hello"}');
  },
});
const nowNs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1e6);
const frameOf = (i: number, msg: string): string =>
  JSON.stringify({
    type: 'message',
    mid: `0190a5d0-0000-7000-8000-${String(i).padStart(12, '0')}`,
    tid: 'bench',
    from: 'admin',
    msg,
    opts: {},
    urgency: 3,
    at: new Date().toISOString(),
  });
const frame = (i: number): string =>
  JSON.stringify({
    type: 'message',
    mid: `0190a5d0-0000-7000-8000-${String(i).padStart(12, '0')}`,
    tid: 'bench',
    from: 'admin',
    msg: `t=${nowNs()};${'x'.repeat(70)}`,
    opts: {},
    urgency: 3,
    at: new Date().toISOString(),
  });

app.listen('127.0.0.1', 0, (s) => {
  if (s === false) {
    process.stderr.write('cannot listen\n');
    process.exit(1);
  }
  process.stdout.write(`listening ${uws.us_socket_local_port(s)}\n`);
});
app.get('/publish', (res, req) => {
  const n = Number(new URLSearchParams(req.getQuery()).get('n') ?? '0');
  const first = nowNs();
  for (let i = 0; i < n; i += 1) app.publish('bench', frame(i));
  res.end(String(first));
});
let posted = 0;
app.post('/api/v2/publish', (res) => {
  let body = Buffer.alloc(0);
  res.onAborted(() => undefined);
  res.onData((chunk, last) => {
    body = Buffer.concat([body, Buffer.from(chunk)]);
    if (!last) return;
    const { msg } = JSON.parse(body.toString('utf8')) as { msg: string };
    app.publish('bench', frameOf((posted += 1), msg));
    res.cork(() => {
      res.writeHeader('content-type', 'application/json').end('{}');
    });
  });
});
