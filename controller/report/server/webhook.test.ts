import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { json, type RunningServer, startTestServer } from "../../../test/server/test-harness.js";
import { deliver, rawRequest, webhookHead } from "../../../test/server/webhook-test-client.js";
import { UNAUTHORIZED } from "./webhook-delivery.js";
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
  // A server per case: pushes to one repository within a poll interval would coalesce.
  beforeEach(async () => {
    t = await startTestServer({ webhookBodyLimit: 64 * 1024 });
  });
  afterEach(() => t.server.close());

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
      body: UNAUTHORIZED,
    },
    {
      name: "a push changed after signing is forged",
      event: "push",
      payload: pushToMaster,
      secret: "hello-secret",
      tamper: true,
      status: 401,
      body: UNAUTHORIZED,
    },
    {
      name: "a push without a signature is refused",
      event: "push",
      payload: pushToMaster,
      secret: null,
      status: 401,
      body: UNAUTHORIZED,
    },
    {
      name: "a push to a repo whose secret is not configured cannot be verified",
      event: "push",
      payload: nokubePush,
      secret: "anything",
      status: 401,
      body: UNAUTHORIZED,
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
      "x-github-delivery": randomUUID(),
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

describe("deliveries that are not verified all get one answer", () => {
  let t: RunningServer;
  let bare: RunningServer;
  beforeAll(async () => {
    t = await startTestServer();
    // No webhook secret configured anywhere.
    bare = await startTestServer({ webhookSecrets: () => undefined });
  });
  afterAll(async () => {
    await t.server.close();
    await bare.server.close();
  });

  const zeros = `sha256=${"0".repeat(64)}`;
  const attempts: {
    name: string;
    server: () => RunningServer;
    payload: unknown;
    secret?: string | null;
    signature?: string;
  }[] = [
    { name: "unsigned, tracked repo", server: () => t, payload: pushToMaster, secret: null },
    { name: "unsigned, untracked repo", server: () => t, payload: untracked, secret: null },
    { name: "wrong signature, tracked repo", server: () => t, payload: pushToMaster, signature: zeros },
    { name: "wrong signature, untracked repo", server: () => t, payload: untracked, signature: zeros },
    { name: "guessed secret, untracked repo", server: () => t, payload: untracked, secret: "guess" },
    { name: "malformed signature", server: () => t, payload: pushToMaster, signature: "sha256=xyz" },
    { name: "repo without a secret", server: () => t, payload: nokubePush, secret: "anything" },
    { name: "no secret configured, tracked repo", server: () => bare, payload: pushToMaster, secret: "x" },
    { name: "no secret configured, untracked repo", server: () => bare, payload: untracked, secret: null },
  ];

  it("answers 401 with byte-identical bodies whatever the repository and configuration", async () => {
    const answers = [];
    for (const a of attempts) {
      const options = {
        ...(a.secret === undefined ? {} : { secret: a.secret }),
        ...(a.signature === undefined ? {} : { signature: a.signature }),
      };
      answers.push({ name: a.name, ...(await deliver(a.server().url, a.payload, options)) });
    }
    const first = answers[0];
    for (const answer of answers) {
      expect({ name: answer.name, status: answer.status, text: answer.text }).toEqual({
        name: answer.name,
        status: 401,
        text: first?.text,
      });
    }
    expect(JSON.parse(first?.text ?? "")).toEqual(UNAUTHORIZED);
    const all = answers.map((a) => a.text).join("\n");
    expect(all).not.toMatch(/WEBHOOK_SECRET|someone\/else|Hello-World|nokube|secret is/i);
    expect(t.syncRequests).toEqual([]);
  });
});

describe("a delivery signed with another repository's secret", () => {
  it("is refused like any unverified delivery", async () => {
    const t = await startTestServer({
      webhookSecrets: (key) => ({ hello: "hello-secret", nokube: "nokube-secret" })[key],
    });
    try {
      const forged = await deliver(t.url, pushToMaster, { secret: "nokube-secret" });
      expect(forged.status).toBe(401);
      expect(JSON.parse(forged.text)).toEqual(UNAUTHORIZED);
      expect((await deliver(t.url, nokubePush, { secret: "nokube-secret" })).status).toBe(202);
      expect(t.syncRequests).toEqual([{ trigger: "webhook", repoKey: "nokube" }]);
    } finally {
      await t.server.close();
    }
  });
});

describe("X-GitHub-Delivery de-duplication", () => {
  let t: RunningServer;
  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(() => t.server.close());

  it("does not let an unverified delivery claim an id or a body", async () => {
    const delivery = randomUUID();
    expect((await deliver(t.url, pushToMaster, { delivery, secret: "guess" })).status).toBe(401);
    expect((await deliver(t.url, pushToMaster, { delivery })).status).toBe(202);
    expect(t.syncRequests).toHaveLength(1);
  });

  it("lets GitHub redeliver a delivery whose sync was refused", async () => {
    let accept = false;
    const flaky = await startTestServer({
      requestSync: () => (accept ? { accepted: true } : { accepted: false, reason: "not the leader" }),
    });
    try {
      const delivery = randomUUID();
      expect((await deliver(flaky.url, pushToMaster, { delivery })).status).toBe(503);
      accept = true;
      expect((await deliver(flaky.url, pushToMaster, { delivery })).status).toBe(202);
    } finally {
      await flaky.server.close();
    }
  });

  it("forgets the oldest ids and bodies beyond its memory", async () => {
    const small = await startTestServer({ webhookLimits: { rememberDeliveries: 2 } });
    try {
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      const pushes = ids.map((_, i) => ({ ...pushToMaster, after: `${i}`.repeat(40) }));
      for (const [i, delivery] of ids.entries())
        expect((await deliver(small.url, pushes[i], { delivery })).status).toBe(202);
      expect((await deliver(small.url, pushes[2], { delivery: ids[2] })).status).toBe(200);
      expect((await deliver(small.url, pushes[0], { delivery: ids[0] })).status).toBe(202);
    } finally {
      await small.server.close();
    }
  });
});

describe("refused deliveries in the log", () => {
  type Step =
    | { readonly send: "unsigned" | "wrong"; readonly from: string; readonly times?: number }
    | number;
  const unsigned = "no well-formed X-Hub-Signature-256 header";
  const wrong = "X-Hub-Signature-256 does not match any configured secret";
  const cases: {
    name: string;
    steps: Step[];
    lines: { client: string; reason: string; suppressed: number }[];
  }[] = [
    {
      name: "one client repeating a refused delivery writes one line",
      steps: [{ send: "wrong", from: "127.0.0.1", times: 20 }],
      lines: [{ client: "127.0.0.1", reason: wrong, suppressed: 0 }],
    },
    {
      name: "two clients write a line each",
      steps: [
        { send: "wrong", from: "127.0.0.1", times: 3 },
        { send: "wrong", from: "127.0.0.2", times: 3 },
      ],
      lines: [
        { client: "127.0.0.1", reason: wrong, suppressed: 0 },
        { client: "127.0.0.2", reason: wrong, suppressed: 0 },
      ],
    },
    {
      name: "two reasons write a line each",
      steps: [
        { send: "wrong", from: "127.0.0.1", times: 3 },
        { send: "unsigned", from: "127.0.0.1", times: 3 },
      ],
      lines: [
        { client: "127.0.0.1", reason: wrong, suppressed: 0 },
        { client: "127.0.0.1", reason: unsigned, suppressed: 0 },
      ],
    },
    {
      name: "a minute later the next line counts what was held back",
      steps: [
        { send: "unsigned", from: "127.0.0.1", times: 5 },
        60_000,
        { send: "unsigned", from: "127.0.0.1" },
      ],
      lines: [
        { client: "127.0.0.1", reason: unsigned, suppressed: 0 },
        { client: "127.0.0.1", reason: unsigned, suppressed: 4 },
      ],
    },
  ];
  it.each(cases)("$name", async ({ steps, lines }) => {
    let now = Date.UTC(2026, 0, 1);
    const logged: { client: string; reason: string; suppressed: number }[] = [];
    const t = await startTestServer({
      clock: () => new Date(now),
      log: pino({ level: "warn" }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
    });
    try {
      for (const step of steps) {
        if (typeof step === "number") {
          now += step;
          continue;
        }
        const body = JSON.stringify(pushToMaster);
        const signature = step.send === "wrong" ? `sha256=${"0".repeat(64)}` : "";
        const head = webhookHead(t.url, body.length, signature, "Connection: close");
        for (let i = 0; i < (step.times ?? 1); i++) {
          const exchange = await rawRequest(t.url, head, body, step.from);
          expect(await exchange.closed).toMatch(/^HTTP\/1\.1 401 /);
        }
      }
    } finally {
      await t.server.close();
    }
    expect(logged.map(({ client, reason, suppressed }) => ({ client, reason, suppressed }))).toEqual(lines);
  });
});
