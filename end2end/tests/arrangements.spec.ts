import { expect, test } from "@playwright/test";
import { hydrated, screenshot, signIn } from "./helpers";

// Reduced timetables and alternative provision, at the office's desk, at Brookside. An officer is
// told a reduced timetable needs a review date, records one with it and a place the school
// arranged (B), then records the first review. Overdue reviews are checked in the database tests,
// which can move the day on.

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "arrangements are office work");
});

function fromToday(days: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date(Date.now() + days * 86_400_000));
}

test("an officer records a reduced timetable with its review, a school-arranged placement, and a review", async ({ page }, testInfo) => {
  await signIn(page, "officer@brookside.example", "/today");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Timetables and AP" }).click();
  await expect(page).toHaveURL(/\/arrangements/);
  await hydrated(page);

  const form = page.getByTestId("new-arrangement");
  const pupil = form.getByLabel("Pupil");
  const [first, second] = (await pupil.locator("option").allInnerTexts()).slice(3, 5);
  const firstName = first.replace(/ \(.*\)$/, "");
  const secondName = second.replace(/ \(.*\)$/, "");

  await pupil.selectOption({ label: first });
  await form.getByLabel("Arrangement").selectOption("reduced_timetable");
  await form.getByLabel("Last day").fill(fromToday(26));
  await form.getByLabel("Local authority told on").fill(fromToday(0));
  await form.getByLabel(/^The sessions attended/).fill("Mornings only, 8:45 to 12:15, after the hospital stay");
  await form.getByRole("button", { name: "Record the arrangement" }).click();
  await expect(page.getByTestId("arrangement-error")).toContainText("needs a review date");
  await expect(page.getByTestId("arrangement")).toHaveCount(0);
  await form.getByLabel(/^Review on/).fill(fromToday(11));
  await form.getByRole("button", { name: "Record the arrangement" }).click();
  const timetable = page.getByTestId("arrangement").filter({ hasText: firstName });
  await expect(timetable).toContainText("Reduced timetable (C2)");
  await expect(timetable).toContainText("Due ");
  await expect(timetable).toContainText("Local authority told");
  await expect(form.getByLabel(/^The sessions attended/)).toHaveValue("");

  await pupil.selectOption({ label: second });
  await form.getByLabel("Arrangement").selectOption("ap_school");
  await form.getByLabel("Last day").fill(fromToday(40));
  await form.getByLabel(/^The sessions attended/).fill("Riverside Learning Centre, Tuesdays and Thursdays");
  await form.getByRole("button", { name: "Record the arrangement" }).click();
  const placement = page.getByTestId("arrangement").filter({ hasText: secondName });
  await expect(placement).toContainText("Alternative provision arranged by the school (B)");
  await expect(placement).toContainText("Local authority not yet told");

  await timetable.getByLabel("What the review decided").fill("Going well: one more afternoon a week");
  await timetable.getByLabel("Next review").fill(fromToday(18));
  await timetable.getByRole("button", { name: "Save the review" }).click();
  await expect(page.getByTestId("arrangement").filter({ hasText: firstName })).toContainText("Reviewed");
  await expect(page.getByTestId("arrangement").filter({ hasText: firstName })).toContainText("one more afternoon a week");
  await expect(page.getByTestId("arrangement").filter({ hasText: firstName }).getByLabel("What the review decided")).toHaveValue("");
  await screenshot(page, testInfo, "arrangements");
});
