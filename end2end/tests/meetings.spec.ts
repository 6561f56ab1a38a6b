import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { hydrated, screenshot, signIn } from "./helpers";

// Meetings and attendance plans on a case, on the office's desktop: arrange a meeting (never in
// the past), record it once it has taken place, and agree a plan with a target and a review date.

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "cases are worked at a desktop");
});

/** The date `days` from today, as a date input takes it. */
function isoDay(days: number): string {
  const date = new Date(Date.now() + days * 24 * 60 * 60 * 1000);
  return date.toISOString().slice(0, 10);
}

/** Moves the clock on for a meeting: it took place yesterday. The test's own database only. */
function meetingTookPlace(meetingsOfCase: string) {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error("E2E_DATABASE_URL is not set");
  execFileSync("psql", [
    url,
    "-qAtc",
    `update meetings set starts_at = now() - interval '1 day' where case_id = '${meetingsOfCase}'`,
  ]);
}

test("an officer arranges a meeting, records it and agrees a plan with a target", async ({ page }, testInfo) => {
  await signIn(page, "officer@oakfield.example", "/today");
  await page.goto("/cases?all=1");
  await hydrated(page);
  const caseload = page.getByTestId("caseload");
  // A case of its own: the last of the list, which other tests leave alone.
  await caseload.locator("tbody tr").last().getByRole("link").first().click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);
  await hydrated(page);
  const caseId = new URL(page.url()).pathname.split("/").pop()!;
  const meetings = page.getByTestId("case-meetings");

  await meetings.getByText("Arrange a meeting").click();
  const arrange = page.getByTestId("arrange-meeting");
  await arrange.getByLabel("Kind of meeting").selectOption({ label: "Attendance meeting" });
  await arrange.getByLabel("Date").fill(isoDay(-2));
  await arrange.getByLabel("Time").fill("15:30");
  await arrange.getByRole("button", { name: "Arrange meeting" }).click();
  await expect(meetings.getByRole("alert")).toContainText("has already gone");

  await arrange.getByLabel("Date").fill(isoDay(7));
  await arrange.getByLabel("Where").fill("Room 4");
  await arrange.getByLabel("Invited").fill("Parents, form tutor");
  await arrange.getByRole("button", { name: "Arrange meeting" }).click();
  await expect(meetings.getByRole("status").filter({ hasText: "Meeting arranged." })).toBeVisible();
  const meeting = meetings.getByTestId("meeting").first();
  await expect(meeting).toContainText("Attendance meeting");
  await expect(meeting).toContainText("Room 4");
  await expect(meeting).toContainText("Not yet taken place.");
  await screenshot(page, testInfo, "meetings-arranged");

  // A week later, as far as the database knows.
  meetingTookPlace(caseId);
  await page.reload();
  await hydrated(page);
  const record = page.getByTestId("record-meeting");
  await record.getByLabel("Who came").fill("Mrs Shaw, Ms Patel (attendance officer)");
  await record.getByLabel("Minutes").fill("Mornings are hard since the move; Oliver wants to come in.");
  await record.getByLabel("Actions agreed").fill("Breakfast club from Monday.");
  await record.getByRole("button", { name: "Record meeting" }).click();
  await expect(meetings.getByRole("status").filter({ hasText: "Meeting recorded." })).toBeVisible();
  await expect(meetings.getByTestId("meeting-record")).toContainText("Mornings are hard");

  await meetings.getByText("Agree an attendance plan").click();
  const plan = page.getByTestId("agree-plan");
  await plan.getByLabel(/Target attendance/).fill("95");
  await plan.getByLabel("Review date").fill(isoDay(42));
  await plan.getByLabel("Support agreed").fill("Breakfast club; tutor check-in each Monday");
  await plan.getByRole("button", { name: "Agree plan" }).click();
  await expect(meetings.getByRole("status").filter({ hasText: "Attendance plan agreed." })).toBeVisible();
  await expect(meetings.getByTestId("plan")).toContainText("Target 95.00%");
  await expect(meetings.getByTestId("plan-status")).toHaveText("Under way");

  await page.reload();
  await hydrated(page);
  const timeline = page.getByTestId("timeline");
  await expect(timeline).toContainText("Attendance meeting arranged for");
  await expect(timeline).toContainText("Attendance meeting held. Attended: Mrs Shaw");
  await expect(timeline).toContainText("Attendance plan agreed: a target of 95.00%");
  await screenshot(page, testInfo, "meetings-plan-agreed");
});
