import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { json, type RunningServer, startTestServer, testConfig } from "../../../test/server/test-harness.js";
import { deliver } from "../../../test/server/webhook-test-client.js";
import { Secret } from "../../config/secret.js";
import type { PreviewListing, Previews, PullRequestEvent } from "./previews.js";

interface Example {
  readonly name: string;
  readonly examples: Record<string, unknown>[];
}
const pullRequestExamples = (createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[]).find(
  (d) => d.name === "pull_request",
)?.examples;
// GitHub's own deliveries: a pull request into Codertocat/Hello-World's master, the test config's repo "hello".
const delivery = (action: string) => {
  const found = pullRequestExamples?.find((payload) => payload.action === action);
  if (found === undefined) throw new Error(`no pull_request ${action} example`);
  return found;
};

const listing: PreviewListing = {
  repo: "hello",
  number: 2,
  title: "Update the README with new information.",
  url: "https://github.com/Codertocat/Hello-World/pull/2",
  author: "Codertocat",
  head_sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
  state: "failure",
  description: "hello would fail: deploy/x.yaml: refused",
  services: [{ service: "hello", lands: false, created: 0, changed: 1, pruned: 0, unchanged: 2, errors: 1 }],
  previewed_at: "2025-09-01T11:45:00.000Z",
};

/** recordingPreviews answers as the preview runner does, and records the webhook events it is told. */
function recordingPreviews() {
  const events: PullRequestEvent[] = [];
  const previews: Previews = {
    list: () => [listing],
    get: (repoKey, number) =>
      repoKey === "hello" && number === 2 ? { ...listing, diffs: "all of them" } : undefined,
    pullRequest: (event) => {
      events.push(event);
      return { accepted: true };
    },
  };
  return { previews, events };
}

const previewing = () => {
  const config = testConfig();
  return {
    ...config,
    repos: config.repos.map((r) => (r.key === "hello" ? { ...r, prPreview: { forks: false } } : r)),
  };
};

describe("pull request previews over HTTP", () => {
  let running: RunningServer;
  afterEach(() => running.server.close());

  it("lists the open previews and answers one whole", async () => {
    running = await startTestServer({ config: previewing(), previews: recordingPreviews().previews });
    const list = await fetch(`${running.url}/v1/gitops/previews`);
    expect(list.status).toBe(200);
    expect(await json(list)).toEqual({ count: 1, previews: [listing], timestamp: "2025-09-01T11:46:00Z" });
    const one = await fetch(`${running.url}/v1/gitops/previews/hello/2`);
    expect(one.status).toBe(200);
    expect(await json(one)).toMatchObject({ number: 2, diffs: "all of them" });
  });

  it.each([
    [
      "an unknown repository",
      "/v1/gitops/previews/nope/2",
      404,
      'unknown repository "nope" (known: nokube, hello, idle)',
    ],
    [
      "a repository without pr_preview",
      "/v1/gitops/previews/nokube/2",
      404,
      "pull request previews are off for nokube (pr_preview)",
    ],
    [
      "a pull request not previewed",
      "/v1/gitops/previews/hello/3",
      404,
      "no preview of hello#3: it is not an open pull request into master, or not previewed yet",
    ],
    [
      "a number that is not one",
      "/v1/gitops/previews/hello/2x",
      400,
      'expected a pull request number, not "2x"',
    ],
  ])("answers %s with %i", async (_name, path, status, message) => {
    running = await startTestServer({ config: previewing(), previews: recordingPreviews().previews });
    const response = await fetch(`${running.url}${path}`);
    expect(response.status).toBe(status);
    expect((await json(response)).message).toBe(message);
  });

  it("asks for the read token when one is set, and lists nothing without previews", async () => {
    running = await startTestServer({ readAuthToken: new Secret("read-token") });
    expect((await fetch(`${running.url}/v1/gitops/previews`)).status).toBe(401);
    const authorized = await fetch(`${running.url}/v1/gitops/previews`, {
      headers: { authorization: "Bearer read-token" },
    });
    expect((await json(authorized)).count).toBe(0);
  });

  it.each([
    ["opened", "accepted"],
    ["synchronize", "accepted"],
    ["reopened", "accepted"],
    ["closed", "dropped"],
  ])("takes a signed pull_request %s delivery through the webhook route", async (action, status) => {
    const recorded = recordingPreviews();
    running = await startTestServer({ config: previewing(), previews: recorded.previews });
    const payload = action === "synchronize" ? { ...delivery("opened"), action } : delivery(action);
    const answer = await deliver(running.url, payload, { event: "pull_request" });
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.text)).toMatchObject({ status, action, number: payload.number });
    expect(recorded.events).toEqual([{ repoKey: "hello", number: payload.number, action }]);
  });

  it.each([
    [
      "an action that changes no preview",
      () => delivery("labeled"),
      previewing,
      'action "labeled" changes no preview',
    ],
    [
      "a pull request into another branch",
      () => {
        const opened = delivery("opened") as { pull_request: Record<string, unknown> };
        return { ...opened, pull_request: { ...opened.pull_request, base: { ref: "develop" } } };
      },
      previewing,
      'no repository previews pull requests into "develop" (pr_preview)',
    ],
    [
      "a repository without pr_preview",
      () => delivery("opened"),
      testConfig,
      'no repository previews pull requests into "master" (pr_preview)',
    ],
  ])("ignores %s", async (_name, payload, config, reason) => {
    const recorded = recordingPreviews();
    running = await startTestServer({ config: config(), previews: recorded.previews });
    const answer = await deliver(running.url, payload(), { event: "pull_request" });
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.text)).toMatchObject({ status: "ignored", reason });
    expect(recorded.events).toEqual([]);
  });

  it("refuses a pull_request delivery whose signature does not verify, telling the previews nothing", async () => {
    const recorded = recordingPreviews();
    running = await startTestServer({ config: previewing(), previews: recorded.previews });
    const answer = await deliver(running.url, delivery("opened"), { event: "pull_request", secret: "wrong" });
    expect(answer.status).toBe(401);
    expect(recorded.events).toEqual([]);
  });
});
