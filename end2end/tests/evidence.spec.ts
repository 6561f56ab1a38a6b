import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { hydrated, screenshot, signIn } from "./helpers";

// The attendance officer prepares a case for a court or a local-authority referral: one click on
// the case page downloads the evidence pack, a PDF with a cover, a certificate of attendance, the
// attendance record and the chronology. The demo's seeding runs the case engine, so the school
// has open cases.

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "evidence packs are put together at the office's desktop");
});

/** The pages of a PDF: its `/Type /Page` objects (not the `/Type /Pages` tree). */
function pageObjects(pdf: string): number {
  return (pdf.match(/\/Type \/Page(?!s)/g) ?? []).length;
}

test("an officer downloads a case's evidence pack with every section", async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  await signIn(page, "officer@oakfield.example", "/today");
  await page.getByRole("link", { name: "Cases", exact: true }).click();
  await page.waitForURL(/\/cases/);
  await page.getByRole("link", { name: "All cases at the school" }).click();
  await page.waitForURL(/all=1/);
  const caseload = page.getByTestId("caseload");
  await expect(caseload).toBeVisible();
  const row = caseload.locator("tbody tr").first();
  const pupil = (await row.locator("td").first().innerText()).trim();
  const [last, first] = pupil.split(", ");
  await row.getByRole("link").first().click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);
  await hydrated(page);

  const link = page.getByTestId("evidence-pack");
  await expect(link).toBeVisible();
  await expect(link).toHaveText("Download evidence pack");
  await screenshot(page, testInfo, "evidence-case-page");

  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  expect(download.suggestedFilename()).toMatch(/^evidence-pack-[A-Z0-9]+-\d{4}-\d{2}-\d{2}\.pdf$/);
  const bytes = readFileSync(await download.path());
  expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
  const pdf = bytes.toString("latin1");

  // As many pages as the document says, each numbered "Page n of m": a cover and three
  // sections, each from a new page.
  const pages = pageObjects(pdf);
  expect(pages).toBeGreaterThanOrEqual(4);
  expect(pdf).toContain(`/Count ${pages}`);
  for (let n = 1; n <= pages; n++) {
    expect(pdf).toContain(`(Page ${n} of ${pages})`);
  }

  // The cover names the pupil; the sections follow in order.
  const order = [
    "(Attendance evidence pack)",
    `(${first} ${last})`,
    "(UPN)",
    "(Date of birth)",
    "(Case stage)",
    "(Period covered)",
    "(1. Certificate of attendance)",
    "(Possible sessions)",
    "(Attendance)",
    "(2. Attendance record)",
    "(Code breakdown)",
    "(Session marks)",
    "(3. Chronology)",
  ];
  let from = 0;
  for (const needle of order) {
    const at = pdf.indexOf(needle, from);
    expect(at, `${needle} after what comes before it`).toBeGreaterThan(-1);
    from = at + needle.length;
  }
  // The case was opened by the engine: that is on the chronology.
  expect(pdf.slice(pdf.indexOf("(3. Chronology)"))).toContain("(Case opened");
  // An officer sees no safeguarding in it.
  expect(pdf).not.toContain("afeguarding");
});
