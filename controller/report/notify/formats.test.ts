import { describe, expect, it } from "vitest";
import type { SyncResult } from "../../record/result.js";
import { discordFormat } from "./discord.js";
import { dedupKey, notificationsFor } from "./events.js";
import { genericFormat } from "./generic.js";
import type { SyncSummary } from "./messages.js";
import type { Format, Notification } from "./notifier.js";
import { serviceSummary } from "./service-event.js";
import { slackFormat } from "./slack.js";
import { syncSummary } from "./sync-summary.js";
import { FORMATS } from "./targets.js";
import { teamsFormat } from "./teams.js";

const TIME = "2025-09-01T11:45:02.000Z";
const deployment = { apiVersion: "apps/v1", kind: "Deployment", namespace: "m", name: "web" };
const failed: SyncResult = {
  service: "monitoring",
  repoKey: "nokube",
  repo: "AI-Infra-Team/nokube@main",
  commit: "0123456789abcdef0123",
  trigger: "webhook",
  dryRun: false,
  status: "failed",
  startedAt: TIME,
  durationMs: 800,
  files: {
    changed: ["m/a.yaml", "m/b.yaml"],
    applied: ["m/a.yaml"],
    failed: [{ path: "m/b.yaml", error: "Deployment <x> is invalid" }],
    deleted: [],
  },
  objects: [],
  pruned: [],
  unhealthy: [],
  orphaned: [],
  error: { code: "E_APPLY", message: "1 file failed" },
};

describe("notificationsFor", () => {
  const cases: { name: string; result: SyncResult; kinds: string[] }[] = [
    {
      name: "a failed sync: each file that failed, then the summary (a change that did not land is no success)",
      result: { ...failed, files: { ...failed.files, applied: [] } },
      kinds: ["file:failed", "summary:failed"],
    },
    { name: "a dry run sends nothing", result: { ...failed, dryRun: true }, kinds: [] },
    { name: "an unchanged sync sends nothing", result: { ...failed, status: "unchanged" }, kinds: [] },
  ];
  it.each(cases)("$name", ({ result, kinds }) => {
    const sent = notificationsFor(result, { "m/a.yaml": "blob-a" }, TIME);
    expect(sent.map((n) => `${n.kind}:${n.status}`)).toEqual(kinds);
  });

  it("uses the blob SHA when known and the commit otherwise", () => {
    const [applied, failedFile] = notificationsFor(failed, { "m/a.yaml": "blob-a" }, TIME);
    expect(applied).toMatchObject({ path: "m/a.yaml", sha: "blob-a" });
    expect(failedFile).toMatchObject({
      path: "m/b.yaml",
      sha: failed.commit,
      error: "Deployment <x> is invalid",
    });
  });

  it("keys de-duplication on service, commit, file and status", () => {
    const [a, b, summary] = notificationsFor(failed, {}, TIME) as [Notification, Notification, Notification];
    const again = notificationsFor(failed, {}, "2030-01-01T00:00:00.000Z");
    expect(again.map(dedupKey)).toEqual([a, b, summary].map(dedupKey));
    expect(new Set([a, b, summary].map(dedupKey)).size).toBe(3);
  });
});

describe("formats", () => {
  const [file, , summary] = notificationsFor(failed, { "m/a.yaml": "blob-a" }, TIME) as Notification[];

  it("generic: the seed's manifest_applied payload per file", () => {
    expect(genericFormat.render(file as Notification)).toEqual({
      event: "manifest_applied",
      service_name: "monitoring",
      file_path: "m/a.yaml",
      sha: "blob-a",
      status: "success",
      timestamp: TIME,
      error: null,
      repo: "AI-Infra-Team/nokube@main",
      commit_id: "0123456789abcdef0123",
    });
  });

  const chats: { name: string; format: Format; check: (body: unknown) => void }[] = [
    {
      name: "slack escapes mrkdwn and lists failures",
      format: slackFormat,
      check: (body) =>
        expect(body).toEqual({
          text: ":x: [error] simple-gitops FAILED to apply monitoring at 0123456789ab (AI-Infra-Team/nokube@main): 1 file(s) applied, 1 failed\n• m/b.yaml: Deployment &lt;x&gt; is invalid",
        }),
    },
    {
      name: "discord sends an embed and disables mentions",
      format: discordFormat,
      check: (body) =>
        expect(body).toMatchObject({
          allowed_mentions: { parse: [] },
          embeds: [
            {
              title: "monitoring: failed",
              color: 0xcf222e,
              description: "m/b.yaml: Deployment <x> is invalid",
            },
          ],
        }),
    },
    {
      name: "teams sends an Adaptive Card",
      format: teamsFormat,
      check: (body) =>
        expect(body).toMatchObject({
          type: "message",
          attachments: [
            { contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard" } },
          ],
        }),
    },
  ];
  it.each(chats)("$name, one message per sync and none per file", ({ format, check }) => {
    expect(format.render(file as Notification)).toBeUndefined();
    check(format.render(summary as Notification));
  });
});

describe("severity in the chat formats", () => {
  const applied = syncSummary({ ...failed, status: "applied", error: undefined }, TIME) as SyncSummary;
  const failure = syncSummary(failed, TIME) as SyncSummary;
  const drift = syncSummary(
    {
      ...failed,
      status: "applied",
      error: undefined,
      trigger: "reconcile",
      files: { changed: [], applied: [], failed: [], deleted: [] },
      drift: { checkedAt: TIME, mode: "correct", objects: [{ ...deployment, action: "configured" }] },
      objects: [{ ...deployment, action: "configured" }],
    },
    TIME,
  ) as SyncSummary;
  const rollback = serviceSummary(
    { event: "rolled_back", service: "monitoring", repo: failed.repo, commit: "c0ffee", failedCommit: "bad" },
    TIME,
  );
  const shown: { name: string; severity: (body: never) => unknown }[] = [
    {
      name: "slack",
      severity: (b: { text: string }) => {
        const [, icon, word] = b.text.match(/^:(\w+): \[(\w+)\]/) ?? [];
        return (icon === "x") === (word === "error") ? word : `icon ${icon} for ${word}`;
      },
    },
    {
      name: "discord",
      severity: (b: { embeds: { fields: { name: string; value: string }[] }[] }) =>
        b.embeds[0]?.fields.find((f) => f.name === "severity")?.value,
    },
    {
      name: "teams",
      severity: (b: {
        attachments: { content: { body: { facts?: { title: string; value: string }[] }[] } }[];
      }) => b.attachments[0]?.content.body[1]?.facts?.find((f) => f.title === "Severity")?.value,
    },
  ];
  it.each(shown)("$name shows the severity of each summary", ({ name, severity }) => {
    const format = FORMATS[name as keyof typeof FORMATS];
    const summaries = [applied, failure, drift, rollback];
    const seen = summaries.map((s) => severity(format.render(s) as never));
    expect(seen).toEqual(summaries.map((s) => s.severity));
    expect(seen).toEqual(["info", "error", "info", "error"]);
  });

  it("says what a drift correction put back, one line per object", () => {
    const { text } = slackFormat.render(drift) as { text: string };
    expect(text.split("\n")).toEqual([
      ":white_check_mark: [info] simple-gitops corrected drift of monitoring at 0123456789ab (AI-Infra-Team/nokube@main): 1 object(s) put back",
      "• Deployment m/web: configured",
    ]);
  });
});
