import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The browser benchmarks (`make bench`, docs/benchmarks.md): the same server and Chromium as the
// tests, on the tablet the late door is used on. They print figures; they assert no timings.
// `make bench` builds the site optimised and names its server in ROLLCALL_BIN; without it, the
// tests' unoptimised build is measured.
const bin = process.env.ROLLCALL_BIN ?? "target/debug/rollcall";

export default defineConfig({
  ...base,
  testDir: "./bench",
  testMatch: "**/*.bench.ts",
  timeout: 300_000,
  projects: (base.projects ?? []).filter((project) => project.name === "tablet"),
  webServer: {
    ...(Array.isArray(base.webServer) ? base.webServer[0] : base.webServer!),
    command: `${bin} seed demo --if-empty --pupils 240 && exec ${bin} serve`,
  },
});
