import { NAME, READ_TOKEN_KEY, SYNC_TOKEN_KEY } from "../install/options.js";
import type { KubeRequest } from "../kube/http.js";
import { type ApiClient, createApiClient } from "./api-client.js";
import { usageError } from "./cli-error.js";
import { type CliDeps, type Flags, stringFlag } from "./command.js";
import { directTransport } from "./direct-transport.js";
import { proxyTransport } from "./proxy-transport.js";
import type { Transport } from "./transport.js";

/** SERVER_ENV is the variable that gives the controller's address when --server does not. */
export const SERVER_ENV = "SIMPLE_GITOPS_SERVER";
/** DEFAULT_KUBE_PORT is the installed Service's port when `listen` is left at its default (install/workload.ts). */
export const DEFAULT_KUBE_PORT = "8080";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PORT = /^([1-9][0-9]{0,4}|[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?)$/;

/**
 * connect builds the API client the flags point at: `--kube-namespace` goes through the apiserver's service proxy
 * with the caller's kubeconfig; else `--server`, else SIMPLE_GITOPS_SERVER, goes straight to that address. With
 * neither, a usage error says what to set.
 */
export function connect(flags: Flags, deps: CliDeps, verb: string): ApiClient {
  const namespace = stringFlag(flags, "kube-namespace");
  const common = {
    signal: deps.signal,
    ...definedAs("syncToken", stringFlag(flags, "token") ?? nonEmpty(deps.env[SYNC_TOKEN_KEY])),
    ...definedAs("readToken", stringFlag(flags, "read-token") ?? nonEmpty(deps.env[READ_TOKEN_KEY])),
    ...definedAs("actor", stringFlag(flags, "actor") ?? deps.user()),
    ...definedAs("namespace", namespace),
  };
  return createApiClient({ ...common, transport: transport(flags, deps, verb, namespace) });
}

function transport(flags: Flags, deps: CliDeps, verb: string, namespace: string | undefined): Transport {
  const server = stringFlag(flags, "server");
  if (namespace !== undefined) {
    if (server !== undefined)
      throw usageError(
        "give --server or --kube-namespace, not both: they are two ways to the controller",
        verb,
      );
    return proxyTransport(
      proxyTarget(flags, namespace, verb),
      memo(() => deps.kube(stringFlag(flags, "kubeconfig"))),
    );
  }
  for (const flag of ["kube-service", "kube-port"] as const) {
    if (stringFlag(flags, flag) !== undefined)
      throw usageError(`--${flag} goes with --kube-namespace, the controller's namespace`, verb);
  }
  const address = server ?? nonEmpty(deps.env[SERVER_ENV]);
  if (address === undefined) {
    throw usageError(
      `no controller to talk to: give --server URL (or set ${SERVER_ENV}), e.g. --server http://127.0.0.1:8080, or --kube-namespace NS to reach the controller installed in NS through the apiserver with your kubeconfig`,
      verb,
    );
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw usageError(
      `${server === undefined ? SERVER_ENV : "--server"} must be an http(s) URL, not "${address}"`,
      verb,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw usageError(
      `${server === undefined ? SERVER_ENV : "--server"} must be an http(s) URL, not "${address}"`,
      verb,
    );
  return directTransport(address);
}

function proxyTarget(flags: Flags, namespace: string, verb: string) {
  const service = stringFlag(flags, "kube-service") ?? NAME;
  const port = stringFlag(flags, "kube-port") ?? DEFAULT_KUBE_PORT;
  if (!DNS_LABEL.test(namespace))
    throw usageError(`--kube-namespace must be a namespace name, not "${namespace}"`, verb);
  if (!DNS_LABEL.test(service))
    throw usageError(`--kube-service must be a Service name, not "${service}"`, verb);
  if (!PORT.test(port) || Number(port) > 65535)
    throw usageError(`--kube-port must be the Service's port number or name, not "${port}"`, verb);
  return { namespace, service, port };
}

/** memo builds the apiserver client on its first use, and only once: one kubeconfig read, kept-alive connections. */
function memo(build: () => KubeRequest): () => KubeRequest {
  let built: KubeRequest | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function definedAs<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
