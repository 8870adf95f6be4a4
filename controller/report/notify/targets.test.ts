import { describe, expect, it } from "vitest";
import { Secret } from "../../config/secret.js";
import type { NotificationConfig } from "../../config/types.js";
import { FORMATS, notifyTargets } from "./targets.js";

describe("notifyTargets", () => {
  const url = (value?: string) => ({
    from: "env" as const,
    name: "HOOK_URL",
    ...(value && { value: new Secret(value) }),
  });
  const config: NotificationConfig[] = [
    { type: "generic", url: url("http://receiver/hook"), secretEnv: "HOOK_HMAC" },
    { type: "slack", url: url("https://hooks.slack.com/services/T/B/X") },
    { type: "teams", url: url(undefined) },
    { type: "discord", url: url("https://discord.com/api/webhooks/1/x"), secretEnv: "UNSET" },
  ];

  it("builds one target per resolved URL, with its format and HMAC secret, named without the URL", () => {
    const targets = notifyTargets(config, { HOOK_HMAC: "s3cret" });
    expect(targets.map((t) => [t.name, t.format, t.url.reveal(), t.secret?.reveal()])).toEqual([
      ["generic#0", FORMATS.generic, "http://receiver/hook", "s3cret"],
      ["slack#1", FORMATS.slack, "https://hooks.slack.com/services/T/B/X", undefined],
      ["discord#3", FORMATS.discord, "https://discord.com/api/webhooks/1/x", undefined],
    ]);
    expect(JSON.stringify(targets)).not.toContain("hooks.slack.com");
  });

  it("carries per_file to its target, and only there", () => {
    const targets = notifyTargets(
      [{ ...config[0], perFile: true } as NotificationConfig, ...config.slice(1, 2)],
      {},
    );
    expect(targets.map((t) => t.perFile)).toEqual([true, undefined]);
  });
});
