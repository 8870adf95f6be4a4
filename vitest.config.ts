import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", "./test/count-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["node_modules/**", "test/e2e/**"],
          // The Helm chart tests render with real helm, built once and cached (scripts/helm.sh).
          globalSetup: ["test/helm-setup.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          // One cluster for the whole run. vitest puts no timeout on globalSetup, so a cold build may take its time.
          globalSetup: ["test/e2e/global-setup.ts", "test/helm-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          // One shared cluster on 2 cores: test files run one after another so rollouts are not starved.
          fileParallelism: false,
        },
      },
    ],
  },
});
