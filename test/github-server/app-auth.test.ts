import { createSign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appKeyPair } from "./app-auth.js";
import { createGitHubWorld, type GitHubWorld } from "./harness.js";
import { schemaErrors } from "./openapi.js";

const APP = 4242;
const INSTALLATION = 77;
const MINT = "/app/installations/{installation_id}/access_tokens";

function jwt(privateKey: string, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}`;
  return `${unsigned}.${createSign("RSA-SHA256").update(unsigned).sign(privateKey, "base64url")}`;
}

describe("GitHub test server: app installation tokens", () => {
  let world: GitHubWorld;
  const key = appKeyPair();
  const now = () => Math.floor(Date.now() / 1000);
  const mint = (token: string, installation = INSTALLATION) =>
    fetch(`${world.server.url}/app/installations/${installation}/access_tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });

  beforeAll(async () => {
    world = await createGitHubWorld();
    const repo = await world.addRepo("org", "private", "ghp_owner_only_token");
    await repo.commit({ "a.yaml": "a: 1\n" });
    world.server.apps.addApp(APP, key.publicKey);
    world.server.apps.install(INSTALLATION, APP, ["org/private"]);
  });
  afterAll(() => world.close());

  it("mints a token matching GitHub's schema for a JWT signed by the app's key, and the token reads the repository", async () => {
    const response = await mint(jwt(key.privateKey, { iat: now() - 30, exp: now() + 540, iss: APP }));
    expect(response.status).toBe(201);
    const body = (await response.json()) as { token: string; expires_at: string };
    expect(schemaErrors("POST", MINT, "201", body)).toEqual([]);
    expect(world.server.apps.minted.map((minted) => minted.token)).toEqual([body.token]);
    const read = await fetch(`${world.server.url}/repos/org/private/branches/main`, {
      headers: { authorization: `token ${body.token}` },
    });
    expect(read.status).toBe(200);
  });

  it.each([
    ["a key of another app", () => jwt(appKeyPair().privateKey, { iat: now(), exp: now() + 60, iss: APP })],
    ["an unknown app", () => jwt(key.privateKey, { iat: now(), exp: now() + 60, iss: 999 })],
    ["an expired JWT", () => jwt(key.privateKey, { iat: now() - 700, exp: now() - 100, iss: APP })],
    ["an exp over ten minutes away", () => jwt(key.privateKey, { iat: now(), exp: now() + 900, iss: APP })],
    ["an iat in the future", () => jwt(key.privateKey, { iat: now() + 300, exp: now() + 400, iss: APP })],
    ["a token instead of a JWT", () => "ghp_owner_only_token"],
  ])("refuses %s with 401 and GitHub's error shape", async (_name, make) => {
    const before = world.server.apps.minted.length;
    const response = await mint(make());
    expect(response.status).toBe(401);
    expect(schemaErrors("POST", MINT, "401", await response.json())).toEqual([]);
    expect(world.server.apps.minted.length).toBe(before);
  });

  it("answers 404 for an installation the app does not have", async () => {
    const response = await mint(jwt(key.privateKey, { iat: now(), exp: now() + 60, iss: APP }), 78);
    expect(response.status).toBe(404);
  });

  it("refuses a revoked installation token with 401", async () => {
    const response = await mint(jwt(key.privateKey, { iat: now(), exp: now() + 60, iss: APP }));
    const { token } = (await response.json()) as { token: string };
    world.server.apps.revokeAll();
    const read = await fetch(`${world.server.url}/repos/org/private/branches/main`, {
      headers: { authorization: `token ${token}` },
    });
    expect(read.status).toBe(401);
  });
});
