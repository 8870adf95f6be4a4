import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, type RunningServer, startTestServer } from "./test-harness.js";
import { signBody, verifySignature } from "./webhook-signature.js";

interface Example {
  readonly name: string;
  readonly examples: Record<string, unknown>[];
}
const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[];

function example(
  event: string,
  pick: (payload: Record<string, unknown>) => boolean,
): Record<string, unknown> {
  const found = definitions.find((d) => d.name === event)?.examples.find(pick);
  if (!found) throw new Error(`no ${event} example in @octokit/webhooks-examples`);
  return found;
}

// Codertocat/Hello-World@master is tracked by the test config as repo "hello" with secret "hello-secret".
const pushToMaster = example("push", (p) => p.ref === "refs/heads/master");
const pushTag = example("push", (p) => p.ref === "refs/tags/simple-tag");
const ping = {
  ...example("ping", (p) => p.repository !== undefined),
  repository: { ...(pushToMaster.repository as object), full_name: "Codertocat/Hello-World" },
};
const issues = { ...example("issues", () => true), repository: pushToMaster.repository };
const untracked = { ...pushToMaster, repository: { full_name: "someone/else" } };
const nokubePush = {
  ...pushToMaster,
  ref: "refs/heads/main",
  repository: { full_name: "AI-Infra-Team/nokube" },
};

describe("verifySignature", () => {
  const body = Buffer.from('{"zen":"Keep it logically awesome."}');
  const cases: { name: string; header: string | undefined; ok: boolean }[] = [
    { name: "the right HMAC", header: signBody("s3cret", body), ok: true },
    {
      name: "the right HMAC in upper case",
      header: signBody("s3cret", body).toUpperCase().replace("SHA256", "sha256"),
      ok: true,
    },
    { name: "another secret's HMAC", header: signBody("other", body), ok: false },
    { name: "a SHA-1 header", header: "sha1=0123456789abcdef0123456789abcdef01234567", ok: false },
    { name: "a truncated HMAC", header: signBody("s3cret", body).slice(0, 40), ok: false },
    { name: "no header", header: undefined, ok: false },
  ];
  it.each(cases)("$name → $ok", ({ header, ok }) => {
    expect(verifySignature("s3cret", body, header)).toBe(ok);
  });

  it("refuses everything when the secret is empty", () => {
    expect(verifySignature("", body, signBody("", body))).toBe(false);
  });
});

describe("POST /v1/gitops/webhook/github", () => {
  let t: RunningServer;
  beforeAll(async () => {
    t = await startTestServer({ webhookBodyLimit: 64 * 1024 });
  });
  afterAll(() => t.server.close());

  interface Case {
    name: string;
    event: string;
    payload: unknown;
    /** secret to sign with; null sends no signature */
    secret: string | null;
    tamper?: boolean;
    form?: boolean;
    status: number;
    body: object;
    synced?: boolean;
  }
  const cases: Case[] = [
    {
      name: "a ping from a tracked repo is answered",
      event: "ping",
      payload: ping,
      secret: "hello-secret",
      status: 200,
      body: { status: "pong", repo: "Codertocat/Hello-World", hook_id: 109948940 },
    },
    {
      name: "a push to the tracked branch requests a sync of that repo",
      event: "push",
      payload: pushToMaster,
      secret: "hello-secret",
      status: 202,
      body: { status: "accepted", event: "push", repos: [{ repo_key: "hello", accepted: true }] },
      synced: true,
    },
    {
      name: "a form-encoded push is verified and accepted too",
      event: "push",
      payload: pushToMaster,
      secret: "hello-secret",
      form: true,
      status: 202,
      body: { status: "accepted", event: "push", repos: [{ repo_key: "hello", accepted: true }] },
      synced: true,
    },
    {
      name: "a push signed with another secret is forged",
      event: "push",
      payload: pushToMaster,
      secret: "guessed-secret",
      status: 401,
      body: { error: "unauthorized", message: "X-Hub-Signature-256 does not match the payload" },
    },
    {
      name: "a push changed after signing is forged",
      event: "push",
      payload: pushToMaster,
      secret: "hello-secret",
      tamper: true,
      status: 401,
      body: { error: "unauthorized", message: "X-Hub-Signature-256 does not match the payload" },
    },
    {
      name: "a push without a signature is refused",
      event: "push",
      payload: pushToMaster,
      secret: null,
      status: 401,
      body: { error: "unauthorized", message: "missing X-Hub-Signature-256: set a secret on the webhook" },
    },
    {
      name: "a push to a repo whose secret is not configured cannot be verified",
      event: "push",
      payload: nokubePush,
      secret: "anything",
      status: 401,
      body: {
        error: "unauthorized",
        message: "no webhook secret is configured for AI-Infra-Team/nokube: set WEBHOOK_SECRET",
      },
    },
    {
      name: "a tag push is ignored",
      event: "push",
      payload: pushTag,
      secret: "hello-secret",
      status: 202,
      body: {
        status: "ignored",
        event: "push",
        reason: 'ref "refs/tags/simple-tag" is not a tracked branch (tracked: master)',
      },
    },
    {
      name: "a push to an untracked repo is ignored",
      event: "push",
      payload: untracked,
      secret: "hello-secret",
      status: 202,
      body: { status: "ignored", event: "push", reason: 'repository "someone/else" is not tracked' },
    },
    {
      name: "other events are ignored",
      event: "issues",
      payload: issues,
      secret: "hello-secret",
      status: 202,
      body: { status: "ignored", event: "issues", reason: 'event "issues" is not handled' },
    },
    {
      name: "a body that is not JSON is refused",
      event: "push",
      payload: "{not json",
      secret: "hello-secret",
      status: 400,
      body: { error: "bad_request", message: "the payload is not a JSON object" },
    },
  ];
  it.each(cases)("$name → $status", async (c) => {
    t.syncRequests.length = 0;
    const text = typeof c.payload === "string" ? c.payload : JSON.stringify(c.payload);
    const body = c.form ? new URLSearchParams({ payload: text }).toString() : text;
    const headers: Record<string, string> = {
      "content-type": c.form ? "application/x-www-form-urlencoded" : "application/json",
      "x-github-event": c.event,
      "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    };
    if (c.secret !== null) headers["x-hub-signature-256"] = signBody(c.secret, body);
    const sent = c.tamper ? body.replace("6113728f", "deadbeef") : body;
    const res = await fetch(`${t.url}/v1/gitops/webhook/github`, { method: "POST", headers, body: sent });
    expect(res.status).toBe(c.status);
    const answer = await json(res);
    expect(answer).toEqual(c.body);
    expect(JSON.stringify(answer)).not.toContain("hello-secret");
    expect(t.syncRequests).toEqual(c.synced ? [{ trigger: "webhook", repoKey: "hello" }] : []);
  });

  it("refuses a body over the limit with 413 before reading it all", async () => {
    const body = JSON.stringify({ ...pushToMaster, padding: "x".repeat(70 * 1024) });
    const res = await fetch(`${t.url}/v1/gitops/webhook/github`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-hub-signature-256": signBody("hello-secret", body),
      },
      body,
    });
    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ error: "payload_too_large" });
  });

  it("answers 503 when the scheduler refuses the sync", async () => {
    const refusing = await startTestServer({
      requestSync: () => ({ accepted: false, reason: "not the leader" }),
    });
    try {
      const body = JSON.stringify(pushToMaster);
      const res = await fetch(`${refusing.url}/v1/gitops/webhook/github`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-hub-signature-256": signBody("hello-secret", body),
        },
        body,
      });
      expect(res.status).toBe(503);
      expect(await json(res)).toEqual({ error: "unavailable", message: "sync not accepted: not the leader" });
    } finally {
      await refusing.server.close();
    }
  });
});
