import { execFile, execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { promisify } from "node:util";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestCa } from "../test/test-ca.js";
import { TOKEN_FILE_TTL_MS } from "./credentials.js";
import { createKubeRequest } from "./http.js";
import { IN_CLUSTER_DIR } from "./in-cluster.js";
import { KubeConfigError, loadDefaultKubeConfig, loadKubeConfigFiles } from "./kubeconfig.js";

// A real HTTPS server with a CA, a server certificate for 127.0.0.1 and a client certificate, made by openssl,
// and a plain HTTP server that echoes the Authorization header. Kubeconfig files are written as kubectl writes them.
const execFileAsync = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "kubeconfig-test-"));
let https: Server;
let plain: Server;
let httpsUrl: string;
let plainUrl: string;
const seen: { authorization?: string; clientCN?: string }[] = [];

function record(req: IncomingMessage, res: import("node:http").ServerResponse) {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.();
  seen.push({
    ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    ...((req.socket as TLSSocket).authorized && peer?.subject?.CN
      ? { clientCN: String(peer.subject.CN) }
      : {}),
  });
  const denied = req.headers.authorization?.startsWith("Bearer revoked") === true;
  res.writeHead(denied ? 401 : 200, { "content-type": "application/json" });
  res.end(JSON.stringify({ kind: "APIVersions" }));
}

beforeAll(async () => {
  const ca = createTestCa(dir);
  const server = ca.sign("server", "127.0.0.1", "127.0.0.1");
  ca.sign("client", "gitops-client");
  https = createHttpsServer(
    {
      key: server.key,
      cert: server.cert,
      ca: ca.cert,
      requestCert: true,
      // Asked for, not required: the in-cluster case sends a token only.
      rejectUnauthorized: false,
    },
    record,
  );
  plain = createHttpServer(record);
  await Promise.all([https, plain].map((s) => new Promise<void>((r) => s.listen(0, "127.0.0.1", r))));
  httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const server of [https, plain]) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

/**
 * kubeconfig writes a one-context kubeconfig with `kubectl config`, the way users make them. Asynchronously:
 * kubectl may contact the server it is given, which answers from this process.
 */
async function kubeconfig(name: string, cluster: string[], user: string[]): Promise<string> {
  const path = join(dir, name);
  const kc = (...args: string[]) => execFileAsync("kubectl", ["config", "--kubeconfig", path, ...args]);
  await kc("set-cluster", "c", ...cluster);
  await kc("set-credentials", "u", ...user);
  await kc("set-context", "ctx", "--cluster", "c", "--user", "u");
  await kc("use-context", "ctx");
  return path;
}

async function get(path: string, options: Parameters<typeof loadKubeConfigFiles>[1] = { env: {} }) {
  const response = await createKubeRequest(loadKubeConfigFiles([path], options))("GET", "/api");
  return { status: response.status, ...seen.at(-1) };
}

describe("loadKubeConfigFiles", () => {
  it("verifies the server with certificate-authority and authenticates with a client certificate (files)", async () => {
    const path = await kubeconfig(
      "certs.yaml",
      ["--server", "https://127.0.0.1:1", "--certificate-authority", join(dir, "ca.crt")],
      ["--client-certificate", join(dir, "client.crt"), "--client-key", join(dir, "client.key")],
    );
    // kubectl writes absolute paths; make them relative, as hand-written kubeconfigs often are.
    const text = readFileSync(path, "utf8")
      .replaceAll(`${dir}/`, "")
      .replace("https://127.0.0.1:1", httpsUrl);
    writeFileSync(path, text);
    expect(await get(path)).toEqual({ status: 200, clientCN: "gitops-client" });
  });

  it("reads the *-data fields, and refuses a server its CA did not sign", async () => {
    const path = await kubeconfig(
      "data.yaml",
      ["--server", httpsUrl, "--certificate-authority", join(dir, "ca.crt"), "--embed-certs"],
      [
        "--client-certificate",
        join(dir, "client.crt"),
        "--client-key",
        join(dir, "client.key"),
        "--embed-certs",
      ],
    );
    expect(readFileSync(path, "utf8")).toContain("client-key-data");
    expect(await get(path)).toEqual({ status: 200, clientCN: "gitops-client" });
    const wrongCa = await kubeconfig(
      "wrong-ca.yaml",
      ["--server", httpsUrl, "--certificate-authority", join(dir, "client.crt")],
      ["--client-certificate", join(dir, "client.crt"), "--client-key", join(dir, "client.key")],
    );
    await expect(get(wrongCa)).rejects.toThrow(/certificate/);
    const insecure = await kubeconfig(
      "insecure.yaml",
      ["--server", httpsUrl, "--insecure-skip-tls-verify"],
      ["--client-certificate", join(dir, "client.crt"), "--client-key", join(dir, "client.key")],
    );
    expect(await get(insecure)).toEqual({ status: 200, clientCN: "gitops-client" });
  });

  it("sends a token, and re-reads a tokenFile once it is a minute old", async () => {
    expect(await get(await kubeconfig("token.yaml", ["--server", plainUrl], ["--token", "tok-1"]))).toEqual({
      status: 200,
      authorization: "Bearer tok-1",
    });
    const tokenPath = join(dir, "token-file");
    writeFileSync(tokenPath, "file-1\n");
    const path = await kubeconfig("token-file.yaml", ["--server", plainUrl], []);
    const doc = yaml.load(readFileSync(path, "utf8")) as { users: { user: Record<string, string> }[] };
    (doc.users[0] as { user: Record<string, string> }).user = { tokenFile: "token-file" };
    writeFileSync(path, yaml.dump(doc));
    let now = 0;
    const request = createKubeRequest(loadKubeConfigFiles([path], { env: {}, now: () => now }));
    await request("GET", "/api");
    writeFileSync(tokenPath, "file-2\n");
    await request("GET", "/api");
    expect(seen.at(-1)?.authorization).toBe("Bearer file-1");
    now += TOKEN_FILE_TTL_MS;
    await request("GET", "/api");
    expect(seen.at(-1)?.authorization).toBe("Bearer file-2");
  });

  it("sends a request whose timeout is longer than Node's timers hold", async () => {
    const path = await kubeconfig("long-timeout.yaml", ["--server", plainUrl], ["--token", "tok-long"]);
    const request = createKubeRequest(loadKubeConfigFiles([path], { env: {} }));
    // 1e10 ms handed to AbortSignal.timeout as is throws ERR_OUT_OF_RANGE before anything is sent.
    const response = await request("GET", "/api", undefined, { timeoutMs: 1e10 });
    expect({ status: response.status, ...seen.at(-1) }).toEqual({
      status: 200,
      authorization: "Bearer tok-long",
    });
  });

  it("merges $KUBECONFIG files: the first to set current-context or a name wins", async () => {
    const first = await kubeconfig("merge-1.yaml", ["--server", plainUrl], ["--token", "first"]);
    const second = join(dir, "merge-2.yaml");
    await execFileAsync("kubectl", [
      "config",
      "--kubeconfig",
      second,
      "set-credentials",
      "u",
      "--token",
      "second",
    ]);
    execFileSync("kubectl", [
      "config",
      "--kubeconfig",
      second,
      "set-cluster",
      "other",
      "--server",
      "http://127.0.0.1:1",
    ]);
    await execFileAsync("kubectl", [
      "config",
      "--kubeconfig",
      second,
      "set-context",
      "x",
      "--cluster",
      "other",
    ]);
    await execFileAsync("kubectl", ["config", "--kubeconfig", second, "use-context", "x"]);
    const target = loadDefaultKubeConfig({
      env: { KUBECONFIG: [join(dir, "missing.yaml"), second, first].join(":") },
    });
    expect(target.server).toBe("http://127.0.0.1:1");
    const reversed = loadDefaultKubeConfig({ env: { KUBECONFIG: [first, second].join(":") } });
    expect(reversed.server).toBe(plainUrl);
    expect(await reversed.credentials()).toEqual({ token: "first" });
  });

  it.each([
    ["no current-context", "apiVersion: v1\nclusters: []\n", /current-context is not set/],
    [
      "a context naming a missing cluster",
      "current-context: a\ncontexts: [{name: a, context: {cluster: nope, user: u}}]\n",
      /contexts\[name=a\]\.context\.cluster: no cluster named "nope"/,
    ],
    [
      "a client-key file that cannot be read",
      "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://x'}}]\nusers: [{name: u, user: {client-key: missing.key}}]\n",
      /users\[name=u\]\.user\.client-key: cannot read .*missing\.key/,
    ],
    [
      "an auth-provider",
      "users: [{name: u, user: {auth-provider: {name: oidc}}}]\n",
      /users\[name=u\]\.user\.auth-provider is not supported/,
    ],
    [
      "a non-boolean insecure-skip-tls-verify",
      "clusters: [{name: c, cluster: {insecure-skip-tls-verify: 'yes'}}]\n",
      /clusters\[name=c\]\.cluster\.insecure-skip-tls-verify: expected true or false/,
    ],
    ["bad YAML", "clusters: [\n", /invalid YAML/],
  ])("names the field: %s", (_, text, message) => {
    const path = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, text);
    const load = () => loadKubeConfigFiles([path], { env: {} });
    expect(load).toThrow(KubeConfigError);
    expect(load).toThrow(message);
    expect(load).toThrow(path);
  });
});

describe("exec credential plugins", () => {
  /** plugin writes a shell plugin that counts its runs and prints an ExecCredential. */
  function plugin(name: string, body: string): { path: string; runs: () => number } {
    const path = join(dir, name);
    const count = join(dir, `${name}.runs`);
    writeFileSync(count, "");
    writeFileSync(path, `#!/bin/sh\necho run >> '${count}'\n${body}\n`);
    chmodSync(path, 0o755);
    return { path, runs: () => readFileSync(count, "utf8").split("\n").filter(Boolean).length };
  }

  async function execKubeconfig(name: string, exec: Record<string, unknown>): Promise<string> {
    const path = await kubeconfig(name, ["--server", plainUrl], []);
    const doc = yaml.load(readFileSync(path, "utf8")) as { users: { user: Record<string, unknown> }[] };
    (doc.users[0] as { user: Record<string, unknown> }).user = { exec };
    writeFileSync(path, yaml.dump(doc));
    return path;
  }

  it.each([
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
  ])("runs a %s plugin with KUBERNETES_EXEC_INFO and its env, caches until expiry, and again after a 401", async (apiVersion) => {
    const tag = apiVersion.endsWith("v1") ? "v1" : "v1beta1";
    const p = plugin(
      `plugin-${tag}`,
      [
        // The token says what the plugin saw: the exec info's apiVersion and the variable from the kubeconfig.
        `info=$(printf '%s' "$KUBERNETES_EXEC_INFO" | tr -d ' ' | grep -o '"apiVersion":"[^"]*"' | cut -d'"' -f4)`,
        `token="$(cat '${join(dir, `${tag}.next`)}')-$info-$EXTRA-\${GITHUB_TOKEN:-none}"`,
        `echo "{\\"apiVersion\\":\\"${apiVersion}\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"$token\\",\\"expirationTimestamp\\":\\"2030-01-01T00:00:00Z\\"}}"`,
      ].join("\n"),
    );
    writeFileSync(join(dir, `${tag}.next`), "one");
    const path = await execKubeconfig(`exec-${tag}.yaml`, {
      apiVersion,
      command: `./plugin-${tag}`,
      env: [{ name: "EXTRA", value: "x" }],
      interactiveMode: "Never",
    });
    let now = Date.parse("2029-12-31T23:00:00Z");
    const target = loadKubeConfigFiles([path], {
      env: { PATH: process.env.PATH, GITHUB_TOKEN: "secret" },
      now: () => now,
    });
    const request = createKubeRequest(target);
    await Promise.all([request("GET", "/api"), request("GET", "/api")]);
    expect(seen.at(-1)?.authorization).toBe(`Bearer one-${apiVersion}-x-none`);
    expect(p.runs()).toBe(1);
    writeFileSync(join(dir, `${tag}.next`), "revoked");
    // Expired: the plugin runs again; the apiserver refuses what it gives, so it is not kept either.
    now = Date.parse("2030-01-01T00:00:00Z");
    const refused = await request("GET", "/api");
    expect(refused.status).toBe(401);
    expect(p.runs()).toBe(2);
    writeFileSync(join(dir, `${tag}.next`), "three");
    // Back before the expiry its ExecCredential states: only the 401 can make the plugin run again.
    now = Date.parse("2029-12-31T23:30:00Z");
    await request("GET", "/api");
    expect(p.runs()).toBe(3);
    expect(seen.at(-1)?.authorization).toBe(`Bearer three-${apiVersion}-x-none`);
  });

  it("kills a plugin that does not answer in time, and says so without quoting its output", async () => {
    const p = plugin("plugin-hang", "echo secret-token-text; exec sleep 30");
    const path = await execKubeconfig("exec-hang.yaml", {
      apiVersion: "client.authentication.k8s.io/v1",
      command: p.path,
    });
    const target = loadKubeConfigFiles([path], { env: { PATH: process.env.PATH }, execTimeoutMs: 300 });
    const error = await target.credentials().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(KubeConfigError);
    expect(error?.message).toMatch(/users\[name=u\]\.user\.exec: .*plugin-hang did not answer within 300 ms/);
    expect(error?.message).not.toContain("secret-token-text");
  });

  it("names a missing command with its install hint", async () => {
    const path = await execKubeconfig("exec-missing.yaml", {
      apiVersion: "client.authentication.k8s.io/v1",
      command: "no-such-plugin-xyz",
      installHint: "install it from example.com",
    });
    const target = loadKubeConfigFiles([path], { env: { PATH: process.env.PATH } });
    await expect(target.credentials()).rejects.toThrow(
      /users\[name=u\]\.user\.exec\.command: no-such-plugin-xyz not found \(install it from example.com\)/,
    );
  });
});

describe("loadDefaultKubeConfig", () => {
  it("uses the pod's service account when there is no kubeconfig, and re-reads the rotated token", async () => {
    const sa = mkdtempSync(join(tmpdir(), "serviceaccount-"));
    writeFileSync(join(sa, "ca.crt"), readFileSync(join(dir, "ca.crt")));
    writeFileSync(join(sa, "token"), "sa-1");
    let now = 0;
    const target = loadDefaultKubeConfig({
      env: {
        HOME: mkdtempSync(join(tmpdir(), "home-")),
        KUBERNETES_SERVICE_HOST: "127.0.0.1",
        KUBERNETES_SERVICE_PORT: String((https.address() as AddressInfo).port),
      },
      serviceAccountDir: sa,
      now: () => now,
    });
    expect(target.server).toBe(httpsUrl);
    const request = createKubeRequest(target);
    expect((await request("GET", "/api")).status).toBe(200);
    expect(seen.at(-1)?.authorization).toBe("Bearer sa-1");
    writeFileSync(join(sa, "token"), "sa-2");
    now += TOKEN_FILE_TTL_MS;
    await request("GET", "/api");
    expect(seen.at(-1)?.authorization).toBe("Bearer sa-2");
    expect(IN_CLUSTER_DIR).toBe("/var/run/secrets/kubernetes.io/serviceaccount");
  });

  it("says where it looked when there is nothing", () => {
    expect(() => loadDefaultKubeConfig({ env: { HOME: mkdtempSync(join(tmpdir(), "home-")) } })).toThrow(
      /\$KUBECONFIG is not set, ~\/\.kube\/config does not exist, and this is not a pod/,
    );
  });

  const cluster = "/tmp/simple-gitops-cluster/kubeconfig";
  it.skipIf(!existsSync(cluster))("reads the test cluster's kubeconfig as kubectl does", () => {
    const view = JSON.parse(
      execFileSync(
        "kubectl",
        ["config", "view", "--raw", "--minify", "-o", "json", "--kubeconfig", cluster],
        { encoding: "utf8" },
      ),
    ) as { clusters: { cluster: Record<string, string> }[]; users: { user: Record<string, string> }[] };
    const target = loadDefaultKubeConfig({ env: { KUBECONFIG: cluster } });
    const decode = (data: string | undefined) =>
      data ? Buffer.from(data, "base64").toString("utf8") : undefined;
    expect(target.server).toBe(view.clusters[0]?.cluster.server);
    expect(target.tls.ca).toBe(decode(view.clusters[0]?.cluster["certificate-authority-data"]));
    expect(target.tls.cert).toBe(decode(view.users[0]?.user["client-certificate-data"]));
    expect(target.tls.key).toBe(decode(view.users[0]?.user["client-key-data"]));
  });
});
