import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fetchPost } from "./post.js";

interface Seen {
  readonly method: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

/** serve starts a receiver that records each request and lets `answer` respond (or not). */
async function serve(answer: (res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe("fetchPost", () => {
  it("posts the JSON body with its headers and returns the status and Retry-After", async () => {
    const receiver = await serve((res) => res.writeHead(429, { "retry-after": "7" }).end("slow down"));
    const body = JSON.stringify({ event: "sync_completed", n: Math.random() });
    const res = await fetchPost(receiver.url, body, { "x-signature": "sha256=abc" }, 5000);
    expect(res).toEqual({ status: 429, retryAfterMs: 7000 });
    const [request] = receiver.seen;
    expect(request?.method).toBe("POST");
    expect(request?.body).toBe(body);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers["x-signature"]).toBe("sha256=abc");
  });

  it("leaves retryAfterMs out when the receiver sends none", async () => {
    const receiver = await serve((res) => res.writeHead(503).end());
    expect(await fetchPost(receiver.url, "{}", {}, 5000)).toEqual({ status: 503 });
  });

  it("returns a redirect as its status and never sends the body to where it points", async () => {
    const elsewhere = await serve((res) => res.end());
    const receiver = await serve((res) => res.writeHead(307, { location: elsewhere.url }).end());
    const res = await fetchPost(receiver.url, '{"signed":true}', {}, 5000);
    expect(res.status).toBe(307);
    expect(receiver.seen).toHaveLength(1);
    expect(elsewhere.seen).toHaveLength(0);
  });

  it("resolves without reading an answer that never ends", async () => {
    const receiver = await serve((res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("x".repeat(64 * 1024));
    });
    expect(await fetchPost(receiver.url, "{}", {}, 5000)).toEqual({ status: 200 });
  });

  it("rejects when the receiver does not answer within the timeout", async () => {
    const receiver = await serve(() => {});
    // Long enough for the request to reach the receiver on a loaded machine (50 ms was not, under CI), so that the
    // timeout is shown to end a request that was sent and never answered.
    await expect(fetchPost(receiver.url, "{}", {}, 1000)).rejects.toMatchObject({ name: "TimeoutError" });
    expect(receiver.seen).toHaveLength(1);
  });
});
