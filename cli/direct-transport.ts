import type { OutgoingHttpHeaders } from "node:http";
import { timerDelay } from "../common/timer-delay.js";
import { sendRaw } from "../kube/http-send.js";
import { CliError, EXIT } from "./cli-error.js";
import { parseBody, type Transport } from "./transport.js";

/**
 * directTransport sends requests straight to the controller's address (`--server`), with the token as
 * `Authorization: Bearer`. A base URL with a path (a controller behind an ingress at `/gitops`) keeps its path.
 * It speaks node:http rather than fetch, which refuses some ports (6000, 6665-6669, ...) a controller may listen on.
 */
export function directTransport(server: string): Transport {
  const base = server.replace(/\/+$/, "");
  return {
    where: base,
    async send(request) {
      const deadline = AbortSignal.timeout(timerDelay(request.timeoutMs));
      const headers: OutgoingHttpHeaders = { accept: "application/json", ...request.headers };
      if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
      const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
      if (payload !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(payload);
      }
      const signal = AbortSignal.any([request.signal, deadline]);
      const answer = await sendRaw(
        new URL(`${base}${request.path}`),
        { method: request.method, headers, signal },
        payload,
        (error) => {
          if (request.signal.aborted) return request.signal.reason;
          const message = deadline.aborted
            ? `the controller at ${base} did not answer within ${Math.round(request.timeoutMs / 1000)} s`
            : `cannot reach the controller at ${base}: ${error.message}. Is it running, and is --server (or SIMPLE_GITOPS_SERVER) its address?`;
          return new CliError(EXIT.failed, message, { cause: error });
        },
      );
      return { status: answer.status, body: parseBody(answer.text) };
    },
  };
}
