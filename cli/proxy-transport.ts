import { KubeConfigError } from "../kube/errors.js";
import type { KubeRequest } from "../kube/http.js";
import { CliError, EXIT } from "./cli-error.js";
import type { ApiAnswer, Transport } from "./transport.js";

/** ProxyTarget is the controller's Service as the apiserver's service proxy reaches it. */
export interface ProxyTarget {
  readonly namespace: string;
  readonly service: string;
  /** port is the Service's port, by number or by name. */
  readonly port: string;
}

/** TOKEN_HEADER carries the token through the proxy, which drops Authorization (controller/report/server/auth.ts). */
const TOKEN_HEADER = "x-simple-gitops-token";

/**
 * proxyTransport reaches the controller through the apiserver's service proxy
 * (`/api/v1/namespaces/NS/services/http:NAME:PORT/proxy/...`) with the caller's kubeconfig, so its port is never
 * exposed. The apiserver authenticates the caller with Authorization and drops it, so the controller's token
 * travels in X-Simple-Gitops-Token. An answer of the apiserver itself (a metav1.Status: no such Service, no ready
 * endpoint, the caller may not proxy) becomes a CliError saying which.
 */
export function proxyTransport(target: ProxyTarget, kube: () => KubeRequest): Transport {
  const prefix = `/api/v1/namespaces/${target.namespace}/services/http:${target.service}:${target.port}/proxy`;
  const where = `Service ${target.service} (port ${target.port}) in namespace ${target.namespace}, through the apiserver`;
  return {
    where,
    async send(request) {
      let answer: ApiAnswer;
      try {
        answer = await kube()(request.method, `${prefix}${request.path}`, request.body, {
          signal: request.signal,
          timeoutMs: request.timeoutMs,
          headers: {
            ...request.headers,
            ...(request.token === undefined ? {} : { [TOKEN_HEADER]: request.token }),
          },
        });
      } catch (error: unknown) {
        if (request.signal.aborted) throw request.signal.reason;
        if (error instanceof KubeConfigError)
          throw new CliError(EXIT.usage, `--kube-namespace needs a kubeconfig: ${error.message}`, {
            cause: error,
          });
        throw new CliError(EXIT.failed, `cannot reach the apiserver: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const status = apiserverStatus(answer);
      if (status !== undefined) throw proxyRefusal(target, answer.status, status);
      return answer;
    },
  };
}

/** apiserverStatus is the apiserver's own message when the answer is a metav1.Status, not the controller's. */
function apiserverStatus(answer: ApiAnswer): string | undefined {
  const body = answer.body as { kind?: unknown; apiVersion?: unknown; message?: unknown } | undefined;
  if (body?.kind !== "Status" || body.apiVersion !== "v1") return undefined;
  return typeof body.message === "string" ? body.message : `HTTP ${answer.status}`;
}

/** proxyRefusal says why the apiserver did not pass the request on, and what to check. */
function proxyRefusal(target: ProxyTarget, status: number, message: string): CliError {
  const { namespace, service, port } = target;
  const hints: Record<number, [number, string]> = {
    401: [EXIT.usage, "the kubeconfig's credentials were refused"],
    403: [
      EXIT.usage,
      `the kubeconfig's user needs get (and create, to write) on services/proxy in namespace ${namespace}`,
    ],
    404: [EXIT.usage, "check --kube-namespace, --kube-service and --kube-port (kubectl get service -A)"],
    503: [
      EXIT.failed,
      `no ready controller pod behind it: kubectl -n ${namespace} get endpoints ${service}; kubectl -n ${namespace} get pods`,
    ],
  };
  const [code, hint] = hints[status] ?? [EXIT.failed, "the apiserver could not pass the request on"];
  return new CliError(
    code,
    `the apiserver answered ${status} for the controller's Service ${service} (port ${port}) in namespace ${namespace}: ${message}; ${hint}`,
  );
}
