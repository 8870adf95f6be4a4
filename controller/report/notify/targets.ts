import { Secret } from "../../config/secret.js";
import type { NotificationConfig } from "../../config/types.js";
import { discordFormat } from "./discord.js";
import { genericFormat } from "./generic.js";
import type { Format, NotifyTarget } from "./notifier.js";
import { slackFormat } from "./slack.js";
import { teamsFormat } from "./teams.js";

/** FORMATS maps a notification `type` from the config to its format. */
export const FORMATS: Readonly<Record<NotificationConfig["type"], Format>> = {
  generic: genericFormat,
  slack: slackFormat,
  discord: discordFormat,
  teams: teamsFormat,
};

/**
 * notifyTargets builds the dispatcher's targets from the config; `env` resolves each target's `secretEnv` (main
 * passes process.env). A target whose URL was not resolved is left out: config loading already reported it.
 */
export function notifyTargets(
  notifications: readonly NotificationConfig[],
  env: Readonly<Record<string, string | undefined>>,
): NotifyTarget[] {
  return notifications.flatMap((n, i) => {
    if (!n.url.value) return [];
    const secret = n.secretEnv ? env[n.secretEnv] : undefined;
    return [
      {
        name: `${n.type}#${i}`,
        url: n.url.value,
        format: FORMATS[n.type],
        ...(secret && { secret: new Secret(secret) }),
        ...(n.perFile && { perFile: true }),
      },
    ];
  });
}
