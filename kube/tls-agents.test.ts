import { mkdtempSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CertifiedPair, createTestCa, type TestCa } from "../test/test-ca.js";
import { createTlsAgents } from "./tls-agents.js";

// A real TLS server with a certificate for 127.0.0.1 signed by a test CA (openssl); two client pairs of that CA stand
// for a client certificate and its rotation.
const dir = mkdtempSync(join(tmpdir(), "tls-agents-test-"));
let server: https.Server;
let port: number;
let ca: TestCa;
let clients: [CertifiedPair, CertifiedPair];
let connections = 0;

beforeAll(async () => {
  ca = createTestCa(dir);
  const { cert, key } = ca.sign("server", "127.0.0.1", "127.0.0.1");
  clients = [ca.sign("client", "client"), ca.sign("rotated", "client")];
  server = https.createServer({ cert, key }, (_req, res) => res.end("ok"));
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
    const [one, two] = clients;
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
    const [client] = clients;
    const agentFor = createTlsAgents({ ca: ca.cert, rejectUnauthorized: true }, (options) => {
      built.push(options);
      return tls.createSecureContext(options);
    });
    const before = connections;
    // Concurrent requests on one agent open as many sockets, each a TLS handshake.
    const answers = await Promise.all([1, 2, 3].map(() => get(agentFor(undefined, undefined))));
    expect(answers).toEqual(["ok", "ok", "ok"]);
    expect(connections - before).toBe(3);
    expect(built).toEqual([{ ca: ca.cert }]);
    await get(agentFor(client.cert, client.key));
    expect(built).toEqual([{ ca: ca.cert }, { ca: ca.cert, cert: client.cert, key: client.key }]);
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
