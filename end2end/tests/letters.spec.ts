import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { screenshot, signIn } from "./helpers";

// The attendance officer writes to a family from a case: the stage's letter is generated from the
// school's template, shown on paper, and downloaded as a PDF for posting. The demo's seeding runs
// the case engine, so the school has open cases.

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "letters are written at the office's desktop");
});

test("an officer generates a case's stage letter, reads it and downloads the PDF", async ({
  page,
}, testInfo) => {
  // Loading the debug wasm takes a while on a busy machine; after signing in, every step is a
  // navigation inside the app, as a person clicks.
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
  const first = pupil.split(", ")[1];
  await row.getByRole("link").first().click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);

  await page.getByTestId("generate-letter").getByRole("button", { name: "Generate the stage letter" }).click();
  await page.getByRole("link", { name: "Open the letter" }).click();
  await page.waitForURL(/\/letters\/[0-9a-f-]+/);
  const letter = page.getByTestId("letter");
  await expect(letter).toContainText("Oakfield Academy");
  await expect(letter).toContainText(`Dear `);
  await expect(letter).toContainText(first);
  await expect(letter).not.toContainText("{{");
  await expect(page.getByRole("button", { name: "Print" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Email to the parent" })).toBeVisible();
  await screenshot(page, testInfo, "letters-one-letter");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("pdf").click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^letter-[a-z_]+-\d{4}-\d{2}-\d{2}\.pdf$/);
  const pdf = readFileSync(await download.path());
  expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  expect(pdf.toString("latin1")).toContain("(Oakfield Academy)");

  // The letter is on the case's timeline and among the school's letters.
  await page.getByRole("link", { name: "Back to the case" }).click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);
  const timeline = page.getByTestId("timeline");
  await expect(timeline).toContainText("Letter generated:");
  await expect(timeline.getByRole("link", { name: "Read the letter" })).toBeVisible();
  await page.getByRole("link", { name: "Letters", exact: true }).click();
  await page.waitForURL(/\/letters(\?|$)/);
  await expect(page.getByTestId("letters")).toContainText(pupil);
  await screenshot(page, testInfo, "letters-list");
});
