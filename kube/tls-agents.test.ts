import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTlsAgents } from "./tls-agents.js";

// A real TLS server with a self-signed certificate for 127.0.0.1, made by openssl: it is its own CA. A second
// self-signed pair stands for a rotated client certificate.
const dir = mkdtempSync(join(tmpdir(), "tls-agents-test-"));
let server: https.Server;
let port: number;
let pairs: { cert: string; key: string }[];
let connections = 0;

function selfSigned(name: string): { cert: string; key: string } {
  const args = [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
  ];
  const subject = ["-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"];
  execFileSync("openssl", [...args, ...subject], { cwd: dir, stdio: "pipe" });
  const read = (file: string) => readFileSync(join(dir, file), "utf8");
  return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
}

beforeAll(async () => {
  pairs = [selfSigned("server"), selfSigned("client")];
  server = https.createServer(pairs[0] as { cert: string; key: string }, (_req, res) => res.end("ok"));
  server.on("secureConnection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function get(agent: https.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.get({ host: "127.0.0.1", port, path: "/", agent, timeout: 5_000 }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on("end", () => resolve(text));
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", reject);
  });
}

describe("createTlsAgents", () => {
  it("keeps one agent while the client pair stays, and opens a new one with a new pair", () => {
    const [one, two] = pairs as [{ cert: string; key: string }, { cert: string; key: string }];
    const agentFor = createTlsAgents({ rejectUnauthorized: true, servername: "api.internal" });
    const first = agentFor(one.cert, one.key);
    const again = agentFor(one.cert, one.key);
    const rotated = agentFor(two.cert, two.key);
    expect(again).toBe(first);
    expect(rotated).not.toBe(first);
    expect(rotated.options).toMatchObject({
      keepAlive: true,
      rejectUnauthorized: true,
      servername: "api.internal",
    });
  });

  it("builds one secure context per client pair, shared by all its connections, and still verifies the server", async () => {
    const built: tls.SecureContextOptions[] = [];
    const [{ cert }, client] = pairs as [{ cert: string; key: string }, { cert: string; key: string }];
    const agentFor = createTlsAgents({ ca: cert, rejectUnauthorized: true }, (options) => {
      built.push(options);
      return tls.createSecureContext(options);
    });
    const before = connections;
    // Concurrent requests on one agent open as many sockets, each a TLS handshake.
    const answers = await Promise.all([1, 2, 3].map(() => get(agentFor(undefined, undefined))));
    expect(answers).toEqual(["ok", "ok", "ok"]);
    expect(connections - before).toBe(3);
    expect(built).toEqual([{ ca: cert }]);
    await get(agentFor(client.cert, client.key));
    expect(built).toEqual([{ ca: cert }, { ca: cert, ...client }]);
  });

  it("refuses a server its CA did not sign", async () => {
    const agent = createTlsAgents({ rejectUnauthorized: true })(undefined, undefined);
    await expect(get(agent)).rejects.toThrow(/self-signed|certificate/);
  });

  it("gives an agent without a client pair when there is none (a token user)", () => {
    const agent = createTlsAgents({ rejectUnauthorized: false })(undefined, undefined);
    expect(agent.options).toMatchObject({ keepAlive: true, rejectUnauthorized: false });
    expect(agent.options).not.toHaveProperty("cert");
    expect(agent.options).not.toHaveProperty("key");
  });
});
