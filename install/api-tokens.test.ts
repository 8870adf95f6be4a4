import { describe, expect, it } from "vitest";
import { READ_TOKEN_ENV, SYNC_TOKEN_ENV } from "../controller/start/serve.js";
import { apiTokens } from "./api-tokens.js";
import { READ_TOKEN_KEY, SYNC_TOKEN_KEY } from "./options.js";

const lookup = (env: Record<string, string>, installed?: Record<string, string>) => ({
  env: (name: string) => env[name],
  file: () => undefined,
  ...(installed ? { installed: (key: string) => installed[key] } : {}),
});

describe("apiTokens", () => {
  it("uses the controller's variable names as the Secret's keys", () => {
    expect([SYNC_TOKEN_KEY, READ_TOKEN_KEY]).toEqual([SYNC_TOKEN_ENV, READ_TOKEN_ENV]);
  });

  it.each([
    [
      "given in the environment",
      { GITOPS_SYNC_TOKEN: "mine" },
      { GITOPS_SYNC_TOKEN: "old" },
      "mine",
      "given",
    ],
    ["kept from the installed Secret", {}, { GITOPS_SYNC_TOKEN: "old" }, "old", "kept"],
    ["generated on a first install", {}, {}, "fresh", "generated"],
    ["generated when nothing could be read", {}, undefined, "fresh", "generated"],
  ])("takes the sync token %s", (_name, env, installed, value, origin) => {
    const tokens = apiTokens(lookup(env, installed), () => "fresh");
    expect(tokens.secretData[SYNC_TOKEN_KEY]).toBe(value);
    expect(tokens.syncToken).toBe(origin);
  });

  it("keeps or carries the read token but never makes one up", () => {
    expect(apiTokens(lookup({}, {}), () => "fresh").secretData).not.toHaveProperty(READ_TOKEN_KEY);
    expect(apiTokens(lookup({}, { GITOPS_READ_TOKEN: "r" }), () => "x").secretData[READ_TOKEN_KEY]).toBe("r");
    expect(
      apiTokens(lookup({ GITOPS_READ_TOKEN: "n" }, { GITOPS_READ_TOKEN: "r" }), () => "x").secretData[
        READ_TOKEN_KEY
      ],
    ).toBe("n");
  });
});
