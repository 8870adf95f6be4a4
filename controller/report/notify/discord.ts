import { detailLines, summaryText } from "./chat-text.js";
import type { Format } from "./notifier.js";

const GREEN = 0x1a7f37;
const RED = 0xcf222e;

/** discordFormat posts one embed per sync to a Discord webhook; mentions are disabled so no text can ping anyone. */
export const discordFormat: Format = {
  type: "discord",
  render(n) {
    if (n.kind !== "summary") return undefined;
    const description = detailLines(n).join("\n").slice(0, 4000);
    return {
      content: summaryText(n).slice(0, 2000),
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: `${n.service}: ${n.outcome.replace("_", " ")}`,
          color: n.severity === "error" ? RED : GREEN,
          timestamp: n.time,
          ...(description && { description }),
          fields: [
            { name: "severity", value: n.severity, inline: true },
            { name: "repo", value: n.repo || "–", inline: true },
            { name: "commit", value: n.commit ? n.commit.slice(0, 12) : "–", inline: true },
            { name: "trigger", value: n.trigger, inline: true },
          ],
        },
      ],
    };
  },
};
