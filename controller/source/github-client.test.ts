import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boundedFetch } from "./github-client.js";

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
});
