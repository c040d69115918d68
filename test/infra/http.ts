// JSON over HTTP for readiness probes and tests (Node 20's global fetch; no client library).

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export const requestJson = async (
  url: string,
  init: { method?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<JsonResponse> => {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    signal: AbortSignal.timeout(init.timeoutMs ?? 5_000),
    ...(init.body === undefined
      ? {}
      : { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  };
};

/** Reads a nested field of an untyped JSON value, e.g. field(body, 'meta_cluster', 'cluster_size'). */
export const field = (value: unknown, ...path: readonly string[]): unknown => {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
};
