import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchTestBrowser } from "../../../test/server/test-browser.js";
import { type RunningServer, startTestServer } from "../../../test/server/test-harness.js";
import type { PreviewListing } from "./previews.js";

const listing = (number: number, state: PreviewListing["state"], title: string): PreviewListing => ({
  repo: "hello",
  number,
  title,
  url: `https://github.com/Codertocat/Hello-World/pull/${number}`,
  author: "Codertocat",
  head_sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
  state,
  description:
    state === "success" ? "1 service would land: 1 changed" : "hello would fail: deploy/x.yaml: refused",
  services: [
    {
      service: "hello",
      lands: state === "success",
      created: 1,
      changed: 2,
      pruned: 3,
      unchanged: 4,
      errors: 0,
    },
  ],
  previewed_at: "2025-09-01T11:45:00.000Z",
});

describe("the status page's pull request previews, in a real browser", () => {
  let t: RunningServer;
  let browser: Browser;
  beforeAll(async () => {
    const previews = [listing(2, "success", "Scale <b>web</b>"), listing(3, "failure", "Break it")];
    t = await startTestServer({
      previews: { list: () => previews, get: () => undefined, pullRequest: () => ({ accepted: true }) },
    });
    ({ browser } = await launchTestBrowser());
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.server.close();
  });

  it("lists each open preview under the anchor its commit status links to, its title as text", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await page.goto(`${t.url}/ui`);
      await page.waitForSelector("#preview-hello-3");
      const landing = await page.locator("#preview-hello-2").innerText();
      expect(landing).toContain("hello#2");
      expect(landing).toContain("would land");
      expect(landing).toContain("Scale <b>web</b>");
      expect(landing).toContain("hello: 1 created, 2 changed, 3 pruned, 4 unchanged");
      expect(await page.locator("#previews b").count()).toBe(0);
      expect(await page.locator("#preview-hello-3 .error").innerText()).toBe(
        "hello would fail: deploy/x.yaml: refused",
      );
    } finally {
      await page.close();
    }
  }, 60_000);
});
