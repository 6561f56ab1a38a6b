import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The browser benchmarks (`make bench`, docs/benchmarks.md): the same server and Chromium as the
// tests, on the tablet the late door is used on. They print figures; they assert no timings.
export default defineConfig({
  ...base,
  testDir: "./bench",
  testMatch: "**/*.bench.ts",
  timeout: 300_000,
  projects: (base.projects ?? []).filter((project) => project.name === "tablet"),
});
