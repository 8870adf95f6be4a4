import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchTestBrowser } from "../../../test/server/test-browser.js";
import { type RunningServer, startTestServer } from "../../../test/server/test-harness.js";

const ARTIFACTS = join(import.meta.dirname, "..", "..", "..", "test", "artifacts");

describe("status page in a real browser", () => {
  let t: RunningServer;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestServer();
    ({ browser } = await launchTestBrowser());
    await mkdir(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.server.close();
  });

  it("shows a deployed and a failed service with their commit and error, escaped, on a phone screen", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("dialog", (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });

    await page.goto(`${t.url}/ui`);
    await page.waitForSelector('[data-service="monitoring"] .error');

    const etcd = await page.locator("#service-etcd").innerText();
    expect(etcd).toContain("etcd");
    expect(etcd).toContain("deployed");
    expect(etcd).toContain("a1b2c3d4e5f6");
    expect(etcd).toContain("2025-09-01T11:45:02Z");

    const monitoring = page.locator('[data-service="monitoring"]');
    expect(await monitoring.innerText()).toContain("failed");
    // The error text arrives as text: the <script> in it is shown, never parsed.
    expect(await monitoring.locator(".error").innerText()).toBe(
      'E_APPLY: Deployment "prometheus" is invalid: <script>alert(1)</script>',
    );
    expect(await page.locator("#services script").count()).toBe(0);

    expect(await page.locator("#repos").innerText()).toContain("AI-Infra-Team/nokube");
    const events = await page.locator("#events").innerText();
    expect(events).toContain("apply failed: <b>bad</b>");
    expect(await page.locator("#events b").count()).toBe(0);

    // Readable on a phone: nothing wider than the screen.
    const overflow = (await page.evaluate(
      "document.documentElement.scrollWidth - window.innerWidth",
    )) as number;
    expect(overflow).toBeLessThanOrEqual(0);

    await page.screenshot({ path: join(ARTIFACTS, "status-page-phone.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("names the pod that owns each service when the services are shared out, and no pod otherwise", async () => {
    const sharded = await startTestServer({
      shards: () => ({ identity: "pod-a", members: [], owners: new Map([["etcd", "pod-b"]]) }),
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${sharded.url}/ui`);
      await page.waitForSelector("#service-etcd");
      expect(await page.locator("#service-etcd").innerText()).toContain("pod-b");
      await page.goto(`${t.url}/ui`);
      await page.waitForSelector("#service-etcd");
      expect(await page.locator("#service-etcd").innerText()).not.toContain("pod");
      await page.close();
    } finally {
      await sharded.server.close();
    }
  }, 60_000);

  it("refreshes itself from the JSON API", async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    await page.goto(`${t.url}/ui`);
    await page.waitForSelector('[data-service="monitoring"] .error');
    const before = t.state;
    const monitoring = before.services.monitoring;
    if (!monitoring) throw new Error("test state lacks monitoring");
    t.state = {
      ...before,
      services: {
        ...before.services,
        monitoring: { ...monitoring, lastError: undefined, commit: "feedface0000" },
      },
    };
    try {
      await page
        .locator('[data-service="monitoring"] .error')
        .waitFor({ state: "detached", timeout: 15_000 });
      expect(await page.locator('[data-service="monitoring"]').innerText()).toContain("feedface0000");
      await page.screenshot({ path: join(ARTIFACTS, "status-page-desktop.png"), fullPage: true });
    } finally {
      t.state = before;
      await page.close();
    }
  }, 60_000);

  it("marks a suspended service, saying by whom, when, at which commit and why, and no other", async () => {
    const before = t.state;
    const etcd = before.services.etcd;
    if (!etcd) throw new Error("test state lacks etcd");
    const suspended = {
      by: "alice",
      at: "2026-01-01T00:00:00.000Z",
      reason: "<i>incident</i>",
      commit: "f00dcafe0000aaaa",
    };
    t.state = { ...before, services: { ...before.services, etcd: { ...etcd, suspended } } };
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await page.goto(`${t.url}/ui`);
      await page.waitForSelector('[data-service="etcd"] .badge.suspended');
      expect(await page.locator('[data-service="etcd"] .badge.suspended').innerText()).toBe("suspended");
      expect(await page.locator('[data-service="etcd"] .held').innerText()).toBe(
        "suspended by alice at 2026-01-01T00:00:00.000Z at commit f00dcafe0000: <i>incident</i>",
      );
      expect(await page.locator('[data-service="etcd"] i').count()).toBe(0);
      expect(await page.locator('[data-service="monitoring"] .badge.suspended').count()).toBe(0);
    } finally {
      t.state = before;
      await page.close();
    }
  }, 60_000);
});
