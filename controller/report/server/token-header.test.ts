import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, type RunningServer, startTestServer } from "../../../test/server/test-harness.js";
import { Secret } from "../../config/secret.js";

// The apiserver's service proxy drops Authorization (it authenticated the caller with it), so a client going through
// it sends the API's token in X-Simple-Gitops-Token instead (the CLI's --kube-namespace does).
describe("the token in X-Simple-Gitops-Token", () => {
  let t: RunningServer;
  beforeAll(async () => {
    t = await startTestServer({ readAuthToken: new Secret("read-token-xyz") });
  });
  afterAll(async () => {
    await t.server.close();
  });

  it("is taken for a write, as the sync token in Authorization is", async () => {
    const res = await fetch(`${t.url}/v1/gitops/sync?service=etcd`, {
      method: "POST",
      headers: { "x-simple-gitops-token": "sync-token-123" },
    });
    expect([res.status, (await json(res)).status]).toEqual([202, "accepted"]);
    expect(t.syncRequests.at(-1)).toEqual({ trigger: "manual", service: "etcd" });
  });

  it("is taken for a read behind the read token", async () => {
    const res = await fetch(`${t.url}/v1/gitops/repos`, {
      headers: { "x-simple-gitops-token": "read-token-xyz" },
    });
    expect(res.status).toBe(200);
    expect((await json(res)).count).toBe(3);
  });

  it("is refused when it is not the token, like a wrong bearer token", async () => {
    const requests = t.syncRequests.length;
    const write = await fetch(`${t.url}/v1/gitops/sync`, {
      method: "POST",
      headers: { "x-simple-gitops-token": "read-token-xyz" },
    });
    const read = await fetch(`${t.url}/v1/gitops/repos`, { headers: { "x-simple-gitops-token": "nope" } });
    expect([write.status, read.status]).toEqual([401, 401]);
    expect(t.syncRequests.length).toBe(requests);
  });
});
