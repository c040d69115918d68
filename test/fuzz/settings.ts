// How long and from where the fuzzer runs, from the environment:
//   MSGXC_FUZZ_SECONDS  seconds of fuzzing per e2e project (default 75): the fixed seed gets
//                       60% of it, a random seed (printed) the rest
//   MSGXC_FUZZ_SEED     run this seed instead of a random one (replaying a printed failure)
//   MSGXC_FUZZ_PATH     with MSGXC_FUZZ_SEED: replay just the case at this fast-check path
export const FIXED_SEED = 20_260_905;

/** The server's limits the oracles depend on: the README's defaults, which the e2e harness keeps. */
export const SERVER_LIMITS = {
  /** MSGXC_JSON_MAX_DEPTH: a body or frame nested deeper is refused before it is parsed (so its id is not echoed). */
  jsonMaxDepth: 32,
  /** MSGXC_BODY_LIMIT: 413 above it. */
  bodyLimit: 65_536,
  /** uWS 20.30 buffers at most this much of a header section that arrives in several reads: more is closed unanswered. */
  splitHeaderBytes: 4_096,
  /** MSGXC_WS_MAX_PAYLOAD: a larger frame closes the session with 1009; above 4 times it, without a close frame. */
  wsMaxPayload: 65_536,
} as const;
const DEFAULT_SECONDS = 75;

const intFrom = (name: string, min: number, max: number): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new Error(`${name}: expected an integer ${min}..${max}, got ${raw}`);
  return n;
};

export interface FuzzSettings {
  readonly fixedMs: number;
  readonly randomMs: number;
  /** How long a failing case may be shrunk. */
  readonly shrinkMs: number;
  readonly randomSeed: number;
  /** The second seed was given (a replay), not drawn. */
  readonly replaying: boolean;
  readonly path: string | undefined;
}

export const fuzzSettings = (): FuzzSettings => {
  const seconds = intFrom('MSGXC_FUZZ_SECONDS', 2, 24 * 3600) ?? DEFAULT_SECONDS;
  const given = intFrom('MSGXC_FUZZ_SEED', -(2 ** 31), 2 ** 31 - 1);
  const path = process.env['MSGXC_FUZZ_PATH'];
  if (path !== undefined && path !== '' && given === undefined)
    throw new Error('MSGXC_FUZZ_PATH needs MSGXC_FUZZ_SEED');
  return {
    fixedMs: Math.round(seconds * 600),
    randomMs: Math.round(seconds * 400),
    shrinkMs: Math.min(30_000, Math.max(5_000, seconds * 200)),
    randomSeed: given ?? (Math.random() * 2 ** 31) | 0,
    replaying: given !== undefined,
    path: path === '' ? undefined : path,
  };
};
