import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, startTestServer } from "../../../test/server/test-harness.js";
import type { ShardsView } from "./views.js";

const fleet: ShardsView = {
  identity: "pod-a",
  members: [
    { member: "pod-a", services: 2, renewTime: "2026-12-07T10:00:01.000000Z" },
    { member: "pod-b", services: 1 },
  ],
  owners: new Map([
    ["etcd", "pod-b"],
    ["monitoring", "pod-a"],
  ]),
};

describe("the status API with sharding", () => {
  let t: RunningServer | undefined;
  afterEach(async () => {
    await t?.server.close();
    t = undefined;
  });

  it("lists the members with their service counts and renewals, and names each service's owner", async () => {
    t = await startTestServer({ shards: () => fleet });
    const shards = (await (await fetch(`${t.url}/v1/gitops/shards`)).json()) as Record<string, unknown>;
    expect(shards).toMatchObject({
      member: "pod-a",
      count: 2,
      members: [
        { member: "pod-a", services: 2, renew_time: "2026-12-07T10:00:01.000000Z" },
        { member: "pod-b", services: 1, renew_time: "" },
      ],
    });
    const body = (await (await fetch(`${t.url}/v1/gitops/services`)).json()) as {
      services: { name: string; shard: string | null }[];
    };
    const byName = new Map(body.services.map((service) => [service.name, service.shard]));
    expect(byName.get("etcd")).toBe("pod-b");
    expect(byName.get("monitoring")).toBe("pod-a");
    const one = (await (await fetch(`${t.url}/v1/gitops/services/etcd`)).json()) as { shard: string };
    expect(one.shard).toBe("pod-b");
  });

  it("answers 404 for the shards and null for a service's owner when the services are not shared out", async () => {
    t = await startTestServer();
    const answer = await fetch(`${t.url}/v1/gitops/shards`);
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as { message: string }).message).toContain("unless sharding: false");
    const body = (await (await fetch(`${t.url}/v1/gitops/services`)).json()) as {
      services: { shard: string | null }[];
    };
    expect(body.services.every((service) => service.shard === null)).toBe(true);
  });
});
