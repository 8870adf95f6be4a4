import http from "node:http";
import type https from "node:https";
import { timerDelay } from "../common/timer-delay.js";
import { sendRaw } from "./http-send.js";
import type { KubeTarget } from "./target.js";
import { createTlsAgents } from "./tls-agents.js";

/** KubeResponse is a raw apiserver answer: status code and parsed JSON body (or text when not JSON). */
export interface KubeResponse {
  status: number;
  body: unknown;
}

/** KubeRequestOptions tune one request: its content type, and when to give up. */
export interface KubeRequestOptions {
  readonly contentType?: string;
  /** signal aborts the request (the socket is destroyed); combined with the request's own deadline. */
  readonly signal?: AbortSignal;
  /** timeoutMs is the request's deadline; default {@link KUBE_REQUEST_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /**
   * headers are sent as well, for what the apiserver passes on: a request through its service proxy carries the
   * backend's own headers (the apiserver drops `Authorization` once it has authenticated the caller).
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/** KUBE_REQUEST_TIMEOUT_MS bounds every apiserver request: a frozen apiserver must not stall a sync for good. */
export const KUBE_REQUEST_TIMEOUT_MS = 30_000;

/** KubeRequest sends one request to the apiserver; it rejects when aborted or past its deadline. */
export type KubeRequest = (
  method: string,
  path: string,
  body?: unknown,
  options?: KubeRequestOptions,
) => Promise<KubeResponse>;

/**
 * createKubeRequest sends plain JSON to the apiserver of `target` (see kubeconfig.ts), over kept-alive connections.
 * It is deliberately not a typed client: a typed serializer drops fields its models do not know, and in a
 * server-side apply a dropped field is a field given up. A 401 makes the target forget its cached credentials
 * (an exec plugin's token revoked early), so the next request fetches new ones.
 */
export function createKubeRequest(target: KubeTarget): KubeRequest {
  const base = target.server.endsWith("/") ? target.server : `${target.server}/`;
  const plain = new http.Agent({ keepAlive: true });
  const secure = createTlsAgents(target.tls);
  return async (method, path, body, options = {}) => {
    const url = new URL(path, base);
    const timeoutMs = options.timeoutMs ?? KUBE_REQUEST_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timerDelay(timeoutMs));
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    signal.throwIfAborted();
    const credentials = await target.credentials(signal);
    const headers: http.OutgoingHttpHeaders = { ...options.headers, accept: "application/json" };
    if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers["content-type"] = options.contentType ?? "application/json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    const opts: https.RequestOptions = {
      method,
      headers,
      signal,
      agent:
        url.protocol === "https:"
          ? secure(credentials.cert ?? target.tls.cert, credentials.key ?? target.tls.key)
          : plain,
    };
    const answer = await sendRaw(url, opts, payload, (error) => {
      // The caller's own reason (leadership lost, shutting down) says more than Node's AbortError.
      if (options.signal?.aborted) return options.signal.reason;
      if (!deadline.aborted) return error;
      const message = `${method} ${url.pathname}: the apiserver did not answer within ${timeoutMs} ms`;
      return new Error(message, { cause: error });
    });
    if (answer.status === 401) target.forget();
    return { status: answer.status, body: parseBody(answer.text) };
  };
}

/** parseBody is an answer's JSON, or its text when it is not JSON (a proxy's error page, a plain-text error). */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** statusMessage extracts the apiserver's own words from an error response (a metav1.Status). */
export function statusMessage(response: KubeResponse): string {
  const body = response.body as { message?: unknown } | string | undefined;
  if (body && typeof body === "object" && typeof body.message === "string") return body.message;
  if (typeof body === "string" && body.trim() !== "") return body.trim();
  return `HTTP ${response.status}`;
}

/** ApiResource is the discovery entry of one kind. */
export interface ApiResource {
  name: string;
  namespaced: boolean;
  kind: string;
}

/** Discovery finds the REST resource of a kind; undefined when the server does not serve that kind. */
export interface Discovery {
  resource(apiVersion: string, kind: string): Promise<ApiResource | undefined>;
}

/**
 * createDiscovery maps apiVersion+kind to the REST resource and its scope, caching each group version's list and
 * fetching it again when a kind is missing (a CRD applied a moment ago).
 */
export function createDiscovery(request: KubeRequest): Discovery {
  const cache = new Map<string, ApiResource[]>();
  async function list(apiVersion: string): Promise<ApiResource[]> {
    const path = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const response = await request("GET", path);
    if (response.status === 404) return [];
    if (response.status !== 200) throw new Error(`discovery of ${apiVersion}: ${statusMessage(response)}`);
    const resources = ((response.body as { resources?: ApiResource[] }).resources ?? []).filter(
      (r) => !r.name.includes("/"),
    );
    cache.set(apiVersion, resources);
    return resources;
  }
  return {
    async resource(apiVersion, kind) {
      const cached = cache.get(apiVersion)?.find((r) => r.kind === kind);
      if (cached) return cached;
      return (await list(apiVersion)).find((r) => r.kind === kind);
    },
  };
}

/** objectPath is the REST path of an object (or, without a name, of its collection). */
export function objectPath(
  apiVersion: string,
  resource: ApiResource,
  namespace: string | undefined,
  name?: string,
): string {
  const root = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${root}${ns}/${resource.name}${name ? `/${encodeURIComponent(name)}` : ""}`;
}
