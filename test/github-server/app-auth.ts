import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, verify } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { createRateLimits } from "./rate-limits.js";
import { errorBody } from "./responses.js";

/** RouteAnswer is what a route of the test server answers; `charged` says whether the primary rate limit counts it. */
export interface RouteAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly charged: boolean;
}

/** ReadableRepo is what the server knows of a served repository for an access check. */
export interface ReadableRepo {
  readonly owner: string;
  readonly repo: string;
  readonly token?: string;
}

/** MintedToken is one installation token the server issued, with the JWT claims it was issued for. */
export interface MintedToken {
  readonly installationId: number;
  readonly token: string;
  readonly expiresAt: string;
  readonly claims: { readonly iat: number; readonly exp: number; readonly iss: number };
}

/** TestApps are GitHub Apps, their installations and the installation tokens minted for them. */
export interface TestApps {
  /** addApp registers an app by the public half of its key (PEM or KeyObject): only JWTs it verifies are accepted. */
  addApp(appId: number, publicKey: string | KeyObject): void;
  /** install installs an app on repositories (`owner/repo`); tokens minted for it can read them. */
  install(installationId: number, appId: number, repos: readonly string[]): void;
  readonly minted: readonly MintedToken[];
  /** revokeAll makes every token minted so far answer 401, as an expired installation token does. */
  revokeAll(): void;
  /** canRead says whether `token` may read `repo`: its own token, any token for an open repository, or an installation's. */
  canRead(repo: ReadableRepo, token: string | undefined): boolean;
  /** route answers the app endpoints, authenticated by a JWT rather than a token; undefined for any other path. */
  route(req: IncomingMessage, pathname: string, token: string | undefined): Promise<RouteAnswer | undefined>;
}

// auth-app needs only the token endpoint: it never reads the installation itself.
const ACCESS_TOKENS = /^\/app\/installations\/(\d+)\/access_tokens$/;
const DOCS_URL = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app";
// The messages GitHub answers a bad JWT with (auth-app recognises the clock-skew ones and retries).
const UNDECODABLE = "A JSON web token could not be decoded";
const BAD_IAT =
  "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
const BAD_EXP =
  "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const FAR_EXP = "'Expiration time' claim ('exp') is too far in the future";

const refuse = (status: number, message: string): RouteAnswer => ({
  status,
  body: errorBody(message, status, DOCS_URL),
  charged: false,
});

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * createTestApps keeps apps and installations for the GitHub test server. A JWT is checked as GitHub checks it:
 * RS256 signed by the key of the app named in `iss`, `iat` not in the future, `exp` in the future and at most ten
 * minutes away (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app).
 * A minted token is a token like any other to the rest of the server (rate limit, 401 once revoked).
 */
export function createTestApps(
  limits: ReturnType<typeof createRateLimits>,
  now = () => Date.now(),
): TestApps {
  const apps = new Map<number, KeyObject>();
  const installations = new Map<number, { appId: number; repos: Set<string> }>();
  const minted: MintedToken[] = [];
  const grants = new Map<string, number>();

  const verifyJwt = (jwt: string | undefined): { iat: number; exp: number; iss: number } | string => {
    const [header, payload, signature, extra] = (jwt ?? "").split(".");
    const head = decodePart(header);
    const claims = decodePart(payload);
    if (!head || !claims || signature === undefined || extra !== undefined || head.alg !== "RS256")
      return UNDECODABLE;
    const key = apps.get(Number(claims.iss));
    const signed = Buffer.from(`${header}.${payload}`);
    if (!key || !verify("RSA-SHA256", signed, key, Buffer.from(signature, "base64url"))) return UNDECODABLE;
    const seconds = Math.floor(now() / 1000);
    const { iat, exp } = claims;
    if (typeof iat !== "number" || !Number.isInteger(iat) || iat > seconds + 60) return BAD_IAT;
    if (typeof exp !== "number" || exp <= seconds) return BAD_EXP;
    if (exp > seconds + 600) return FAR_EXP;
    return { iat, exp, iss: Number(claims.iss) };
  };

  return {
    addApp(appId, publicKey) {
      apps.set(appId, typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey);
    },
    install(installationId, appId, repos) {
      installations.set(installationId, { appId, repos: new Set(repos.map((repo) => repo.toLowerCase())) });
    },
    minted,
    revokeAll() {
      for (const { token } of minted) limits.revoke(token);
    },
    canRead(repo, token) {
      if (repo.token === undefined || repo.token === token) return true;
      const installationId = token === undefined ? undefined : grants.get(token);
      const installation = installationId === undefined ? undefined : installations.get(installationId);
      return installation?.repos.has(`${repo.owner}/${repo.repo}`.toLowerCase()) ?? false;
    },
    async route(req, pathname, token) {
      const match = ACCESS_TOKENS.exec(pathname);
      if (!match) return undefined;
      if (req.method !== "POST") return refuse(404, "Not Found");
      const claims = verifyJwt(token);
      if (typeof claims === "string") return refuse(401, claims);
      const installationId = Number(match[1]);
      const installation = installations.get(installationId);
      if (!installation || installation.appId !== claims.iss) return refuse(404, "Not Found");
      const issued = {
        installationId,
        token: `ghs_${randomBytes(18).toString("base64url")}`,
        expiresAt: new Date(now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
        claims,
      };
      minted.push(issued);
      grants.set(issued.token, installationId);
      limits.allow(issued.token);
      return {
        status: 201,
        body: {
          token: issued.token,
          expires_at: issued.expiresAt,
          permissions: { contents: "read", metadata: "read", statuses: "write" },
          repository_selection: "selected",
        },
        charged: false,
      };
    },
  };
}

/** appKeyPair makes an app key as GitHub hands it out: a PKCS#1 PEM private key, and its public half. */
export function appKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
}
