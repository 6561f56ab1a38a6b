import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { hydrated, screenshot, signIn } from "./helpers";

// Data protection at the office's desktop: the DSL writes a safeguarding note, and the pupil's
// page then shows who has seen the safeguarding records; the school administrator downloads the
// subject access export, which holds the pupil's record and marks but not the note.

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "subject access requests are answered at the office's desktop");
});

test("the DSL sees every view of a safeguarding record logged, and the office's export leaves it out", async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  const secret = `Disclosure to the DSL ${Date.now()}`;
  await signIn(page, "dsl@oakfield.example", "/today");
  await page.goto("/cases?all=1");
  await hydrated(page);
  const rows = page.getByTestId("caseload").locator("tbody tr");
  // The third case from the end: the cases and meetings specs work the last two.
  const row = rows.nth((await rows.count()) - 3);
  await row.getByRole("link").first().click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);
  await hydrated(page);
  const note = page.getByTestId("add-note");
  await note.getByLabel("Note").fill(secret);
  await note.getByLabel("Who sees it").selectOption("true");
  await note.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("timeline")).toContainText(secret);
  // Opening the case again shows the note: that view is logged.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("timeline")).toContainText(secret);

  await page.getByRole("link", { name: "Pupil's record" }).click();
  await page.waitForURL(/\/pupils\/[0-9a-f-]+\?school=/);
  const pupilUrl = page.url();
  await hydrated(page);
  const panel = page.getByTestId("data-protection");
  await expect(panel.getByRole("heading", { name: "Who has seen the safeguarding records" })).toBeVisible();
  const log = panel.getByTestId("safeguarding-views");
  await expect(log).toContainText("Case page, with its safeguarding notes");
  await expect(panel.getByTestId("subject-access-export")).toBeVisible();
  await screenshot(page, testInfo, "pupil-data-protection-dsl");

  // The school administrator: the export, without the note, and no log.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login$/);
  await signIn(page, "admin@oakfield.example", "/today");
  await page.goto(pupilUrl);
  await hydrated(page);
  const adminPanel = page.getByTestId("data-protection");
  await expect(adminPanel).toContainText("Safeguarding records are left out");
  await expect(adminPanel.getByTestId("safeguarding-views")).toHaveCount(0);
  await screenshot(page, testInfo, "pupil-data-protection-office");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    adminPanel.getByTestId("subject-access-export").click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^subject-access-[0-9a-f-]+-\d{4}-\d{2}-\d{2}\.json$/);
  const text = readFileSync(await download.path(), "utf8");
  const exported = JSON.parse(text);
  const table = (name: string) => exported.records.find((record: { table: string }) => record.table === name).rows;
  expect(table("pupils")).toHaveLength(1);
  expect(table("contacts").length).toBeGreaterThan(0);
  expect(table("marks").length).toBeGreaterThan(0);
  expect(table("cases").length).toBeGreaterThan(0);
  expect(text).not.toContain(secret);
  expect(text).not.toContain("safeguarding_status");
  expect(exported.subject_access_export.made_by).toBeTruthy();
});
