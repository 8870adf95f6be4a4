import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, startTestServer } from "../../../test/server/test-harness.js";
import {
  rawRequest,
  WEBHOOK_PATH as WEBHOOK,
  webhookHead,
} from "../../../test/server/webhook-test-client.js";
import { signBody } from "./webhook-signature.js";

const pushBody = JSON.stringify({
  ref: "refs/heads/master",
  repository: { full_name: "Codertocat/Hello-World" },
});
const goodSignature = signBody("hello-secret", pushBody);
const wrongSignature = `sha256=${"0".repeat(64)}`;

async function postWebhook(url: string, body: string, signature: string): Promise<Response> {
  return fetch(`${url}${WEBHOOK}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": signature,
    },
    body,
  });
}

/** until retries `attempt` (the server takes a moment to start reading the held bodies) until it is true. */
async function until(attempt: () => Promise<boolean>, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await attempt()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

describe("HTTP server limits", () => {
  const servers: RunningServer[] = [];
  const sockets: Socket[] = [];
  const start = async (...args: Parameters<typeof startTestServer>) => {
    const t = await startTestServer(...args);
    servers.push(t);
    return t;
  };
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const t of servers.splice(0)) await t.server.close();
  });

  it("answers a webhook body that stalls half way with 408 and closes the socket", async () => {
    const t = await start({ timeouts: { bodyStallMs: 100 } });
    const half = pushBody.slice(0, pushBody.length / 2);
    const exchange = await rawRequest(t.url, webhookHead(t.url, pushBody.length, goodSignature), half);
    sockets.push(exchange.socket);
    const received = await exchange.closed;
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toContain('"error":"request_timeout"');
    expect(t.syncRequests).toEqual([]);
  });

  it("closes any request whose body never arrives within the request timeout", async () => {
    // The sync endpoint parses JSON like any route; only Node's request timeout can end this one.
    const t = await start({ timeouts: { requestMs: 200, headersMs: 200 } });
    const head = [
      "POST /v1/gitops/sync HTTP/1.1",
      `Host: ${new URL(t.url).host}`,
      "Authorization: Bearer sync-token-123",
      "Content-Type: application/json",
      "Content-Length: 100",
      "",
      "",
    ].join("\r\n");
    const exchange = await rawRequest(t.url, head, '{"a":');
    sockets.push(exchange.socket);
    const received = await exchange.closed;
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(t.syncRequests).toEqual([]);
  });

  it("closes a connection that sends headers only partly", async () => {
    const t = await start({ timeouts: { requestMs: 200, headersMs: 200 } });
    const exchange = await rawRequest(t.url, `GET /healthz HTTP/1.1\r\nHost: ${new URL(t.url).host}\r\n`, "");
    sockets.push(exchange.socket);
    expect(await exchange.closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(exchange.socket.destroyed).toBe(true);
  });

  it("caps the unverified bodies in flight: a newcomer takes the oldest one's slot, which gets 503 and Retry-After", async () => {
    // One address may hold all of them here: only the cap on all bodies is left.
    const t = await start({
      webhookLimits: { maxInFlight: 2, maxInFlightPerAddress: 8, bodyGraceMs: 60_000 },
    });
    const held = [];
    for (let i = 0; i < 2; i++) {
      held.push(await rawRequest(t.url, webhookHead(t.url, 1000, wrongSignature), "{"));
      sockets.push(held[i]?.socket as Socket);
    }
    const oldest = held[0]?.closed ?? Promise.resolve("");
    // Until both are being read, a newcomer finds a free slot; each is answered 401 as its body verifies as nothing.
    const taken = await until(async () => {
      expect((await postWebhook(t.url, pushBody, wrongSignature)).status).toBe(401);
      return (
        (await Promise.race([oldest, new Promise((r) => setImmediate(() => r(undefined)))])) !== undefined
      );
    });
    expect(taken).toBe(true);
    const answer = await oldest;
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer.toLowerCase()).toContain("retry-after: 1");
    expect(answer).toContain('"error":"unavailable"');
    expect(await Promise.race([held[1]?.closed, new Promise((r) => setImmediate(() => r("open")))])).toBe(
      "open",
    );
    expect((await postWebhook(t.url, pushBody, goodSignature)).status).toBe(202);
  });

  it("caps the bytes unverified bodies may hold together", async () => {
    const t = await start({ webhookLimits: { maxBufferedBytes: 1500, bodyGraceMs: 60_000 } });
    // A declared length over the whole budget never fits: 503 before a byte is read.
    const over = await rawRequest(t.url, webhookHead(t.url, 1501, wrongSignature), "{");
    sockets.push(over.socket);
    expect(await over.closed).toMatch(/^HTTP\/1\.1 503 /);
    // 1000 declared bytes are reserved: a second body of 1000 only fits in place of the first.
    const held = await rawRequest(t.url, webhookHead(t.url, 1000, wrongSignature), "{");
    sockets.push(held.socket);
    const big = JSON.stringify({ padding: "x".repeat(990) });
    const taken = await until(async () => {
      expect((await postWebhook(t.url, big, wrongSignature)).status).toBe(401);
      return (
        (await Promise.race([held.closed, new Promise((r) => setImmediate(() => r(undefined)))])) !==
        undefined
      );
    });
    expect(taken).toBe(true);
    expect(await held.closed).toMatch(/^HTTP\/1\.1 503 /);
  });

  it("refuses a chunked body over the limit while it streams", async () => {
    const t = await start({ webhookBodyLimit: 1024 });
    const head = [
      `POST ${WEBHOOK} HTTP/1.1`,
      `Host: ${new URL(t.url).host}`,
      "Content-Type: application/json",
      "X-GitHub-Event: push",
      `X-Hub-Signature-256: ${wrongSignature}`,
      "Transfer-Encoding: chunked",
      "",
      "",
    ].join("\r\n");
    const chunk = "x".repeat(2000);
    // The body never ends: only the limit can end this request.
    const exchange = await rawRequest(t.url, head, `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    sockets.push(exchange.socket);
    const received = await exchange.closed;
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received).toContain('"error":"payload_too_large"');
  });

  it("refuses an unsigned delivery without reading its body", async () => {
    const t = await start();
    const head = [
      `POST ${WEBHOOK} HTTP/1.1`,
      `Host: ${new URL(t.url).host}`,
      "Content-Type: application/json",
      "X-GitHub-Event: push",
      "Content-Length: 1000000",
      "",
      "",
    ].join("\r\n");
    const exchange = await rawRequest(t.url, head, "{");
    sockets.push(exchange.socket);
    const received = await exchange.closed;
    expect(received).toMatch(/^HTTP\/1\.1 401 /);
  });

  it("serves /ui with Referrer-Policy: no-referrer and a CSP", async () => {
    const t = await start();
    const res = await fetch(`${t.url}/ui`);
    expect(res.status).toBe(200);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
  });
});
