/** ApiAnswer is one answer of the controller's HTTP API: its status and its body (JSON, or text when not JSON). */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** TransportRequest is one request to the controller, with the token it carries (if any) and its own bounds. */
export interface TransportRequest {
  readonly method: "GET" | "POST";
  /** path is the API path and query, as the controller serves it: `/v1/gitops/services?limit=1000`. */
  readonly path: string;
  readonly body?: object;
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/**
 * Transport carries requests to the controller: straight to its address, or through the apiserver's service proxy.
 * It rejects with a CliError when the controller could not be reached at all; any answer of the controller's,
 * error statuses included, resolves.
 */
export interface Transport {
  /** where names the controller as the user pointed at it, for messages. */
  readonly where: string;
  send(request: TransportRequest): Promise<ApiAnswer>;
}

/** REQUEST_TIMEOUT_MS bounds every request to the controller but a rollback that waits for its outcome. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** parseBody is a body's JSON, or its text when it is not JSON (a proxy's error page). */
export function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
