import { Page, TestInfo } from "@playwright/test";

/** Keeps a full-page screenshot of what the person sees, per viewport, as a test artifact. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({
    path: `screenshots/${testInfo.project.name}/${name}.png`,
    fullPage: true,
  });
}

/** Waits until the page has hydrated, so that clicks reach Leptos's handlers. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__rollcallHydrated === true);
}
