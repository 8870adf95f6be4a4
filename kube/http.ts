import http from "node:http";
import https from "node:https";
import { timerDelay } from "../common/timer-delay.js";
import type { KubeTarget } from "./kubeconfig.js";

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
  // One agent per client certificate: an exec plugin may hand out a new pair, and a pooled TLS socket keeps the
  // identity it was opened with.
  let secure: { id: string; agent: https.Agent } | undefined;
  const agentFor = (cert: string | undefined, key: string | undefined): https.Agent => {
    const id = `${cert ?? ""}\0${key ?? ""}`;
    if (secure?.id !== id) {
      const { ca, rejectUnauthorized, servername } = target.tls;
      secure = {
        id,
        agent: new https.Agent({
          keepAlive: true,
          rejectUnauthorized,
          ...(ca ? { ca } : {}),
          ...(cert ? { cert } : {}),
          ...(key ? { key } : {}),
          ...(servername ? { servername } : {}),
        }),
      };
    }
    return secure.agent;
  };
  return async (method, path, body, options = {}) => {
    const url = new URL(path, base);
    const timeoutMs = options.timeoutMs ?? KUBE_REQUEST_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timerDelay(timeoutMs));
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    signal.throwIfAborted();
    const contentType = options.contentType ?? "application/json";
    const credentials = await target.credentials(signal);
    const headers: http.OutgoingHttpHeaders = { accept: "application/json" };
    if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
    const opts: https.RequestOptions = {
      method,
      headers,
      signal,
      agent:
        url.protocol === "https:"
          ? agentFor(credentials.cert ?? target.tls.cert, credentials.key ?? target.tls.key)
          : plain,
    };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      opts.headers = {
        ...opts.headers,
        "content-type": contentType,
        "content-length": Buffer.byteLength(payload),
      };
    }
    const transport = url.protocol === "https:" ? https : http;
    return new Promise<KubeResponse>((resolve, reject) => {
      const req = transport.request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          if (res.statusCode === 401) target.forget();
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on("error", (error) => {
        // The caller's own reason (leadership lost, shutting down) says more than Node's AbortError.
        if (options.signal?.aborted) reject(options.signal.reason);
        else if (deadline.aborted)
          reject(
            new Error(`${method} ${url.pathname}: the apiserver did not answer within ${timeoutMs} ms`, {
              cause: error,
            }),
          );
        else reject(error);
      });
      req.end(payload);
    });
  };
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
