import { detailLines, summaryText } from "./chat-text.js";
import type { Format } from "./notifier.js";

/**
 * teamsFormat posts one Adaptive Card per sync, the payload Teams Workflows webhooks accept (the older Office 365
 * connector MessageCard is being retired).
 * https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
 */
export const teamsFormat: Format = {
  type: "teams",
  render(n) {
    if (n.kind !== "summary") return undefined;
    const error = n.severity === "error";
    const body: unknown[] = [
      {
        type: "TextBlock",
        text: summaryText(n),
        weight: "Bolder",
        wrap: true,
        ...(error && { color: "Attention" }),
      },
      {
        type: "FactSet",
        facts: [
          { title: "Severity", value: n.severity },
          { title: "Service", value: n.service },
          { title: "Status", value: n.status },
          { title: "Commit", value: n.commit || "–" },
          { title: "Trigger", value: n.trigger },
          { title: "Time", value: n.time },
        ],
      },
      ...detailLines(n).map((line) => ({
        type: "TextBlock",
        text: line,
        wrap: true,
        ...(error && { color: "Attention" }),
      })),
    ];
    return {
      type: "message",
      attachments: [
        {
          contentType: "application/vnd.microsoft.card.adaptive",
          content: {
            $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
            type: "AdaptiveCard",
            version: "1.4",
            body,
          },
        },
      ],
    };
  },
};
