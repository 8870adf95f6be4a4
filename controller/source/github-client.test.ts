import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boundedFetch } from "./github-client.js";
import { TARBALL_TIMEOUT_MS } from "./github-transport.js";

// A server that accepts requests and never answers them, as a hung GitHub or proxy would.
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repos/o/r/branches/main`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("boundedFetch", () => {
  it("gives up on a request that never answers, saying how long it waited", async () => {
    await expect(boundedFetch(fetch, 150)(url)).rejects.toThrow("GitHub did not answer within 150 ms");
  });

  it("keeps the caller's own abort as the reason", async () => {
    const caller = new AbortController();
    const pending = boundedFetch(fetch, 60_000)(url, { signal: caller.signal });
    caller.abort(new Error("shutting down"));
    await expect(pending).rejects.toThrow("shutting down");
  });

  it("gives a tarball, a whole repository in one body, its own longer deadline", async () => {
    const asked: number[] = [];
    const deadline = (ms: number) => {
      asked.push(ms);
      return new AbortController().signal;
    };
    const answered = async () => new Response("ok");
    const bounded = boundedFetch(answered, 150, { deadline });
    await bounded(url);
    await bounded(url.replace("/branches/main", "/tarball/0123abc"));
    expect(asked).toEqual([150, TARBALL_TIMEOUT_MS]);
  });
});
