import { expect, test } from "@playwright/test";
import { hydrated, screenshot } from "./helpers";

test.describe("the app shell", () => {
  test("the status page says Rollcall is working and its database is connected", async ({ page }, testInfo) => {
    const response = await page.goto("/status");
    expect(response?.status()).toBe(200);
    await expect(page).toHaveTitle("Status · Rollcall");
    await expect(page.getByRole("heading", { level: 1, name: "Rollcall" })).toBeVisible();
    await expect(page.getByTestId("database-state")).toHaveText(/^connected/);
    await expect(page.getByRole("banner").getByRole("link", { name: "Sign in" })).toBeVisible();
    await hydrated(page);
    await screenshot(page, testInfo, "status");
  });

  test("the indicator says when the device goes offline and comes back", async ({ page, context }, testInfo) => {
    await page.goto("/status");
    await hydrated(page);
    const indicator = page.getByRole("status").filter({ hasText: /line/ });
    await expect(indicator).toHaveText("Online");
    await context.setOffline(true);
    await expect(indicator).toHaveText("Offline");
    await screenshot(page, testInfo, "offline");
    await context.setOffline(false);
    await expect(indicator).toHaveText("Online");
  });

  test("keyboard users can skip to the content and see where focus is", async ({ page }) => {
    await page.goto("/status");
    await hydrated(page);
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to content" });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    const outline = await skip.evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).toBe("solid");
    await page.keyboard.press("Enter");
    await expect(page.locator("main")).toBeFocused();
  });

  test("touch targets in the top bar are at least 44 pixels tall", async ({ page }) => {
    await page.goto("/status");
    for (const target of await page.locator(".top-bar a, .top-bar .network").all()) {
      const box = await target.boundingBox();
      expect(box?.height ?? 0).toBeGreaterThanOrEqual(44);
    }
  });

  test("the app can be added to a home screen", async ({ page, request }) => {
    await page.goto("/status");
    const href = await page.locator('link[rel="manifest"]').getAttribute("href");
    expect(href).toBe("/manifest.webmanifest");
    const manifest = await (await request.get(href!)).json();
    expect(manifest.name).toBe("Rollcall");
    expect(manifest.display).toBe("standalone");
    for (const icon of manifest.icons) {
      expect((await request.get(icon.src)).status()).toBe(200);
    }
  });

  test("an unknown address shows a page that says so, with status 404", async ({ page }, testInfo) => {
    const response = await page.goto("/no-such-page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await screenshot(page, testInfo, "not-found");
  });

  test("pages carry a content security policy with a nonce for the hydration script", async ({ request }) => {
    const response = await request.get("/");
    const csp = response.headers()["content-security-policy"];
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+'/);
    expect(response.headers()["x-content-type-options"]).toBe("nosniff");
  });
});
