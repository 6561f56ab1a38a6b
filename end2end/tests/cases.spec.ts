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

test("an officer passes a case to the attendance lead, gives them a task, then closes it with a reason", async ({ page }, testInfo) => {
  await signIn(page, "officer@oakfield.example", "/today");
  await page.goto("/cases?all=1");
  await hydrated(page);
  // The second case from the end: the meetings spec works the last one.
  const rows = page.getByTestId("caseload").locator("tbody tr");
  const row = rows.nth((await rows.count()) - 2);
  const pupil = (await row.locator("td").first().innerText()).trim();
  await row.getByRole("link").first().click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(pupil);

  const manage = page.getByTestId("case-manage");
  const owner = manage.getByLabel("Pass the case to");
  const current = (await page.getByTestId("case-facts").locator("dt:text-is('Owner') + dd").innerText()).trim();
  const lead = (await owner.locator("option").allInnerTexts()).find((name) => name.trim() !== current)!;
  await owner.selectOption({ label: lead });
  await manage.getByRole("button", { name: "Pass on" }).click();
  const timeline = page.getByTestId("timeline");
  await expect(timeline).toContainText(`Case passed to ${lead}.`);
  await expect(page.getByTestId("case-facts")).toContainText(lead);

  // A task for the new owner, due today: on the case until it is marked done.
  const tasks = page.getByTestId("case-tasks");
  const today = new Date().toLocaleDateString("en-CA", { timeZone: "Europe/London" });
  await tasks.getByLabel("Task").fill("Ask the school nurse for the hospital letter");
  await tasks.getByLabel("Due").fill(today);
  await tasks.getByRole("button", { name: "Add task" }).click();
  const task = tasks.getByTestId("case-task").filter({ hasText: "Ask the school nurse" });
  await expect(task).toContainText(`${lead.trim()} · due`);
  await expect(timeline).toContainText("Ask the school nurse for the hospital letter");
  await screenshot(page, testInfo, "cases-task");
  await task.getByRole("button", { name: "Mark done" }).click();
  await expect(tasks.getByTestId("case-task").filter({ hasText: "Ask the school nurse" })).toContainText("Done");
  await expect(timeline).toContainText("Task done: Ask the school nurse for the hospital letter");

  await page.getByLabel("Reason for closing the case").fill("Hospital stay explained; letters on file");
  await page.getByRole("button", { name: "Close the case" }).click();
  await expect(timeline).toContainText("Case closed: Hospital stay explained; letters on file");
  await expect(page.getByTestId("case-facts")).toContainText("Closed");
  await expect(page.getByTestId("case-manage")).toHaveCount(0);
  await screenshot(page, testInfo, "cases-closed");

  await page.goto("/cases?all=1");
  await hydrated(page);
  await expect(page.getByTestId("caseload")).not.toContainText(pupil);
});
