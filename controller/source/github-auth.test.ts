import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appKeyPair } from "../../test/github-server/app-auth.js";
import {
  captureLogger,
  createGitHubWorld,
  type GitHubWorld,
  recordApplied,
  serviceFiles,
} from "../../test/github-server/harness.js";
import { createGitHubSource } from "./github.js";
import { TOKEN_TTL_MS } from "./github-auth.js";
import { createGitHubClient } from "./github-client.js";
import type { KnownState, Source, SourceRepository } from "./source.js";

const APP = 31337;
const INSTALLATION = 9001;

describe("GitHub App authentication", () => {
  let world: GitHubWorld;
  const key = appKeyPair();
  let now = Date.now();
  const sourceWith = (log = captureLogger().log): Source =>
    createGitHubSource({
      log,
      retry: { retries: 0, rateLimitRetries: 0, maxRetryAfterSeconds: 0, baseMs: 1 },
      createClient: (options) => createGitHubClient({ ...options, now: () => now }),
    });
  const repository = (privateKey = key.privateKey): SourceRepository => ({
    owner: "org",
    repo: "private",
    branch: "main",
    apiUrl: world.server.url,
    app: { appId: APP, installationId: INSTALLATION, privateKey },
  });
  const services = [{ name: "web", dir: "web" }];

  beforeAll(async () => {
    world = await createGitHubWorld();
    // Only its own token or an installation of the app may read this repository.
    const repo = await world.addRepo("org", "private", "ghp_someone_elses_token_0000000000000000");
    await repo.commit(serviceFiles("web", "web", 2));
    world.server.apps.addApp(APP, key.publicKey);
    world.server.apps.install(INSTALLATION, APP, ["org/private"]);
  });
  beforeEach(() => world.server.resetRequests());
  afterAll(() => world.close());

  it("reads a private repository with an installation token minted from a JWT the server verified", async () => {
    const before = world.server.apps.minted.length;
    const result = await sourceWith().poll({ repository: repository(), services, known: {} });
    expect(result.status).toBe("changed");
    const minted = world.server.apps.minted.slice(before);
    expect(minted.map((token) => token.claims.iss)).toEqual([APP]);
    expect(minted.map((token) => token.installationId)).toEqual([INSTALLATION]);
    expect(result.status === "changed" && result.services.map((service) => service.ok)).toEqual([true]);
  });

  it("refuses a key that is not the app's with an error naming the app and the field, never the key", async () => {
    const other = appKeyPair().privateKey;
    const result = await sourceWith().poll({ repository: repository(other), services, known: {} });
    expect(result.status).toBe("failed");
    const error = result.status === "failed" ? result.error : undefined;
    expect(error?.code).toBe("E_SOURCE_BAD_CREDENTIALS");
    expect(error?.message).toContain(`GitHub App ${APP} was refused an installation token (HTTP 401`);
    expect(error?.message).toContain("private_key_file or private_key_env");
    const body = other.split("\n")[1] ?? "";
    expect(JSON.stringify(error) + String(error?.message) + String(error?.cause)).not.toContain(body);
  });

  it("mints a new token when the old one is due, and the branch's conditional request stays free", async () => {
    const { log, lines } = captureLogger();
    const source = sourceWith(log);
    const known: Record<string, KnownState> = {};
    recordApplied(await source.poll({ repository: repository(), services, known }), known);
    const mintedBefore = world.server.apps.minted.length;
    expect((await source.poll({ repository: repository(), services, known })).status).toBe("unchanged");

    // An hour on: the cached token is due, and the server no longer accepts it.
    now += TOKEN_TTL_MS;
    world.server.apps.revokeAll();
    world.server.resetRequests();
    expect((await source.poll({ repository: repository(), services, known })).status).toBe("unchanged");
    expect(world.server.apps.minted.length).toBe(mintedBefore + 1);
    // GitHub's ETag varies with the token, so the first read with the new one is answered in full, once.
    const afterRefresh = world.server.counts((record) => record.path.includes("/branches/"));
    expect(afterRefresh).toEqual({ total: 1, notModified: 0, charged: 1 });

    world.server.resetRequests();
    expect((await source.poll({ repository: repository(), services, known })).status).toBe("unchanged");
    expect(world.server.counts()).toEqual({ total: 1, notModified: 1, charged: 0 });
    expect(lines.filter((line) => line.level === "warn" || line.level === "error")).toEqual([]);
  });
});
