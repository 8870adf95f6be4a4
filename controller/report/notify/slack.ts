import { detailLines, summaryText } from "./chat-text.js";
import type { Format } from "./notifier.js";

/** slackFormat posts one message per sync to a Slack incoming webhook (`{text}` with mrkdwn), severity first. */
export const slackFormat: Format = {
  type: "slack",
  render(n) {
    if (n.kind !== "summary") return undefined;
    const icon = n.severity === "error" ? ":x:" : ":white_check_mark:";
    const lines = detailLines(n).map((l) => `• ${escapeSlack(l)}`);
    return { text: [`${icon} ${escapeSlack(summaryText(n))}`, ...lines].join("\n") };
  },
};

/** escapeSlack escapes the three characters Slack's mrkdwn treats as control characters. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
