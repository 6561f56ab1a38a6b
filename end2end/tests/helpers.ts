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

/** Every demo account's password (see the README). */
export const DEMO_PASSWORD = "rollcall-demo";

/** Signs in through the sign-in page, as a person would, and waits for the landing page. */
export async function signIn(page: Page, email: string, landing: string | RegExp) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(landing);
  await hydrated(page);
}
