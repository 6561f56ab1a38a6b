import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { hydrated, screenshot, signIn } from "./helpers";

// The office prints recognition certificates for a fortnight: the most improved five pupils on
// the fortnight before, listed with their figures, then downloaded as one PDF with one
// certificate a page.

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "certificates are printed at the office's desktop");
});

/** yyyy-mm-dd of a date, in local time. */
function iso(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

test("an officer lists the most improved pupils and downloads their certificates", async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  // The fortnight up to the last Friday before today, whose marks the demo has seeded.
  const to = new Date();
  do {
    to.setDate(to.getDate() - 1);
  } while (to.getDay() !== 5);
  const from = new Date(to);
  from.setDate(from.getDate() - 11);

  await signIn(page, "officer@oakfield.example", "/today");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Certificates" }).click();
  await page.waitForURL(/\/certificates/);
  await hydrated(page);
  await page.getByLabel("From").fill(iso(from));
  await page.getByLabel("To", { exact: true }).fill(iso(to));
  await page.getByLabel("Kind").selectOption("improved");
  await page.getByLabel("Most improved: the top").fill("5");
  await page.getByRole("button", { name: "Show who earns one" }).click();
  await page.waitForURL(/kind=improved/);
  await hydrated(page);

  const table = page.getByTestId("certificates");
  await expect(table).toBeVisible();
  const rows = await table.locator("tbody tr").count();
  expect(rows).toBeGreaterThan(0);
  expect(rows).toBeLessThanOrEqual(5);
  await expect(table.locator("thead")).toContainText("Up (points)");
  await screenshot(page, testInfo, "certificates-most-improved");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("certificates-pdf").click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^certificates-improved-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.pdf$/);
  const pdf = readFileSync(await download.path()).toString("latin1");
  expect(pdf.startsWith("%PDF-")).toBe(true);
  // One certificate a page, one page for each pupil listed.
  expect((pdf.match(/\/Type \/Page(?!s)/g) ?? []).length).toBe(rows);
  expect((pdf.match(/\(Certificate for Most Improved Attendance\)/g) ?? []).length).toBe(rows);
  const first = (await table.locator("tbody tr").first().locator("td").first().innerText()).trim();
  expect(pdf).toContain(`(${first})`);
});
