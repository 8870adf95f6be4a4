import { execFile } from "node:child_process";
import type { ExecConfig } from "./kubeconfig-file.js";

/** ExecResult is a plugin's credential and when it expires (never, without expirationTimestamp). */
export interface ExecResult {
  readonly value: { token?: string; cert?: string; key?: string };
  readonly expiresAt?: number;
}

/** ExecCluster is what a plugin with `provideClusterInfo` is told of the cluster it authenticates to. */
export interface ExecCluster {
  server: string;
  tls: { ca?: string; rejectUnauthorized: boolean; servername?: string };
}

const MAX_PLUGIN_OUTPUT = 1024 * 1024;

/**
 * execInfo is the ExecCredential a plugin reads from `KUBERNETES_EXEC_INFO`: never interactive, and the cluster
 * (server, CA, TLS settings) only when the kubeconfig asks for it with `provideClusterInfo`.
 */
export function execInfo(exec: ExecConfig, cluster: ExecCluster) {
  return {
    apiVersion: exec.apiVersion,
    kind: "ExecCredential",
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo
        ? {
            cluster: {
              server: cluster.server,
              ...(cluster.tls.ca
                ? { "certificate-authority-data": Buffer.from(cluster.tls.ca).toString("base64") }
                : {}),
              "insecure-skip-tls-verify": !cluster.tls.rejectUnauthorized,
              ...(cluster.tls.servername ? { "tls-server-name": cluster.tls.servername } : {}),
            },
          }
        : {}),
    },
  };
}

/**
 * runExecPlugin runs the plugin once with `env` as its whole environment, killed past `timeoutMs`, and reads the
 * credential it prints. Errors name the kubeconfig field (`where`) and quote only the plugin's stderr.
 */
export async function runExecPlugin(
  exec: ExecConfig,
  where: string,
  opts: { env: Record<string, string>; timeoutMs: number },
  fail: (message: string) => Error,
): Promise<ExecResult> {
  const { timeoutMs } = opts;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      exec.command,
      [...exec.args],
      {
        env: opts.env,
        timeout: timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: MAX_PLUGIN_OUTPUT,
        encoding: "utf8",
      },
      (error, out, err) => {
        if (!error) return resolve(out);
        const code = (error as NodeJS.ErrnoException).code;
        const hint = exec.installHint ? ` (${exec.installHint.trim()})` : "";
        if (code === "ENOENT") return reject(fail(`${where}.command: ${exec.command} not found${hint}`));
        if (error.killed)
          return reject(
            fail(`${where}: ${exec.command} did not answer within ${timeoutMs} ms and was killed`),
          );
        // stderr only: stdout may hold a credential.
        reject(
          fail(`${where}: ${exec.command} failed: ${String(err).trim().slice(0, 500) || error.message}`),
        );
      },
    );
  });
  return parseExecCredential(stdout, exec.apiVersion, where, fail);
}

/** parseExecCredential reads a plugin's ExecCredential; messages never quote stdout, which holds the secret. */
function parseExecCredential(
  stdout: string,
  apiVersion: string,
  where: string,
  fail: (message: string) => Error,
): ExecResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw fail(`${where}: the plugin did not print an ExecCredential as JSON`);
  }
  const credential = parsed as {
    apiVersion?: unknown;
    kind?: unknown;
    status?: {
      token?: unknown;
      clientCertificateData?: unknown;
      clientKeyData?: unknown;
      expirationTimestamp?: unknown;
    };
  };
  if (credential?.kind !== "ExecCredential" || credential.apiVersion !== apiVersion)
    throw fail(
      `${where}: the plugin printed kind ${String(credential?.kind)} ${String(credential?.apiVersion)}, expected ExecCredential ${apiVersion}`,
    );
  const status = credential.status ?? {};
  const token = typeof status.token === "string" && status.token !== "" ? status.token : undefined;
  const cert = typeof status.clientCertificateData === "string" ? status.clientCertificateData : undefined;
  const key = typeof status.clientKeyData === "string" ? status.clientKeyData : undefined;
  if (!token && !(cert && key))
    throw fail(
      `${where}: the ExecCredential has neither status.token nor status.clientCertificateData/clientKeyData`,
    );
  const expiry =
    typeof status.expirationTimestamp === "string" ? Date.parse(status.expirationTimestamp) : Number.NaN;
  return {
    value: { ...(token ? { token } : {}), ...(cert && key ? { cert, key } : {}) },
    ...(Number.isNaN(expiry) ? {} : { expiresAt: expiry }),
  };
}
