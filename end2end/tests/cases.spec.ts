import { expect, test } from "@playwright/test";
import { hydrated, screenshot, signIn } from "./helpers";

// The attendance officer's caseload on the office's desktop. The demo's seeding runs the case
// engine once, so the school has open cases with the figures that triggered them.

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "the caseload is a desktop page");
});

test("an officer opens a case, sees its figures and overrides a proposal with a reason", async ({
  page,
}, testInfo) => {
  await signIn(page, "officer@oakfield.example", "/today");
  await page.getByRole("link", { name: "Cases", exact: true }).click();
  await page.waitForURL(/\/cases/);
  await hydrated(page);
  await page.getByRole("link", { name: "All cases at the school" }).click();
  const caseload = page.getByTestId("caseload");
  await expect(caseload).toBeVisible();
  await expect(caseload.locator("tbody tr").first()).toContainText("%");
  await expect(caseload.locator("tbody tr").first()).toContainText("school week");
  await screenshot(page, testInfo, "cases-caseload");

  // The first case with a proposal still to answer.
  const row = caseload.locator("tbody tr").filter({ has: page.locator("td:last-child", { hasText: /^[1-9]/ }) }).first();
  const pupil = (await row.locator("td").first().innerText()).trim();
  await row.getByRole("link").first().click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(pupil);
  await expect(page.getByTestId("case-why")).toContainText(/\d+\.\d\d% over \d+ school weeks/);
  const timeline = page.getByTestId("timeline");
  await expect(timeline).toContainText("Case opened:");
  await expect(timeline).toContainText("Proposed:");
  await screenshot(page, testInfo, "cases-one-case");

  const reason = "Spoke to mum: a hospital stay, letter on file";
  const override = page.getByTestId("override").first();
  await override.getByLabel("Reason for overriding").fill(reason);
  await override.getByRole("button", { name: "Override" }).click();
  await expect(timeline).toContainText(`Overridden: ${reason}`);
  await expect(timeline).toContainText("Answered");
  await screenshot(page, testInfo, "cases-overridden");
});
