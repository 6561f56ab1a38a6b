import { expect, Page, test } from "@playwright/test";
import { hydrated, screenshot, signIn } from "./helpers";

// Leave of absence and penalty notices, at the office's desk. The officer records a parent's
// request, which only the attendance lead may decide; the lead approves it and opens the decision
// notice for the parent. Then the penalty notices page: the pupils who meet the threshold, and a
// Notice to Improve whose improvement period is too short is refused with the reason.

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "leave and penalty notices are office work");
});

/** The weekday `days` days from today, as the date input takes it. */
function weekdayFromToday(days: number): string {
  const date = new Date(Date.now() + days * 86_400_000);
  while (date.getDay() === 0 || date.getDay() === 6) date.setDate(date.getDate() + 1);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(date);
}

async function signOutAndIn(page: Page, email: string) {
  await page.context().clearCookies();
  await signIn(page, email, "/today");
}

test("an officer records a request, the lead approves it and the parent's notice prints; penalty notices", async ({ page }, testInfo) => {
  const reason = `Interview at Riverside Sixth Form College ${Date.now()}`;
  await signIn(page, "officer@oakfield.example", "/today");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leave", exact: true }).click();
  await expect(page).toHaveURL(/\/leave/);
  await hydrated(page);

  const form = page.getByTestId("new-leave");
  const pupil = form.locator('select[name="pupil_id"]');
  const firstPupil = await pupil.locator("option").nth(1).getAttribute("value");
  await pupil.selectOption(firstPupil!);
  const parent = form.locator('select[name="contact_id"]');
  await expect(parent.locator("option").first()).not.toHaveText("Choose the pupil first");
  const day = weekdayFromToday(14);
  await form.locator('input[name="first_date"]').fill(day);
  await form.locator('input[name="last_date"]').fill(day);
  await form.locator('select[name="ground"]').selectOption("J1");
  await form.locator('textarea[name="parent_reason"]').fill(reason);
  await form.getByRole("button", { name: "Record the request" }).click();

  const row = page.getByTestId("leave-requests").locator("tr").filter({ hasText: reason });
  await expect(row).toContainText("Awaiting a decision");
  await expect(row).toContainText("J1: interview");
  // An officer may not decide.
  await expect(row.getByTestId("decide-leave")).toHaveCount(0);
  await expect(row).toContainText("Only a person the school has authorised");
  // The form is ready for the next request.
  await expect(form.locator('textarea[name="parent_reason"]')).toHaveValue("");
  await expect(pupil).toHaveValue("");
  await screenshot(page, testInfo, "leave-requested");

  // The attendance lead decides: a decision needs its reason.
  await signOutAndIn(page, "lead@oakfield.example");
  await page.goto("/leave");
  await hydrated(page);
  const leadRow = page.getByTestId("leave-requests").locator("tr").filter({ hasText: reason });
  const decide = leadRow.getByTestId("decide-leave");
  await decide.getByLabel("Approve").check();
  await decide.locator('textarea[name="reason"]').fill("An interview for a sixth-form place is a ground for leave (J1).");
  await decide.getByRole("button", { name: "Save the decision" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Decision saved" })).toBeVisible();
  await expect(leadRow).toContainText("Approved by");
  await screenshot(page, testInfo, "leave-decided");

  await leadRow.getByRole("link", { name: "Decision notice" }).click();
  await hydrated(page);
  const notice = page.getByTestId("leave-notice");
  await expect(notice.getByTestId("notice-decision")).toHaveText("Approved");
  await expect(notice).toContainText(reason);
  await expect(notice).toContainText("code J1");
  await screenshot(page, testInfo, "leave-decision-notice");

  // Penalty notices: the eligibility list and a refusal that writes nothing.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Penalty notices", exact: true }).click();
  await expect(page).toHaveURL(/\/penalty-notices/);
  await hydrated(page);
  const eligible = page.getByTestId("eligible");
  const none = page.getByTestId("none-eligible");
  await expect(eligible.or(none)).toBeVisible();
  if (await eligible.isVisible()) {
    const first = eligible.locator("tbody tr").first();
    await expect(first).toContainText("unauthorised sessions (G, N, O, U)");
    await first.locator("summary", { hasText: "Notice to Improve" }).click();
    const improve = first.getByTestId("issue-improve");
    await improve.locator('input[name="improvement_ends_on"]').fill(weekdayFromToday(7));
    await improve.locator('textarea[name="support_offered"]').fill("Attendance meeting offered");
    await improve.getByRole("button", { name: "Issue the Notice to Improve" }).click();
    await expect(page.getByTestId("penalty-error")).toContainText("3 to 6 weeks");
    await expect(page.getByTestId("notices-to-improve")).toHaveCount(0);

    // A first penalty notice to the first parent: £80 if paid today; the payment is recorded.
    const pupilName = (await first.locator("td strong").first().textContent())!;
    await first.locator("summary", { hasText: "Penalty notice" }).click();
    await first.getByTestId("issue-penalty").getByRole("button", { name: "Issue a penalty notice today" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Penalty notice issued." })).toBeVisible();
    const issued = page.getByTestId("penalty-notices").locator("tbody tr").filter({ hasText: pupilName });
    await expect(issued).toContainText("First notice: £80 until");
    await expect(issued).toContainText("Due if paid today: £80.00");
    await expect(issued.getByTestId("notice-status")).toHaveText("Issued");
    await issued.locator("summary", { hasText: "Payment" }).click();
    const payment = issued.getByTestId("record-payment");
    await payment.locator('input[name="amount"]').fill("160");
    await payment.getByRole("button", { name: "Record the payment" }).click();
    await expect(page.getByTestId("penalty-error").filter({ hasText: "was £80.00, not £160.00" })).toBeVisible();
    await payment.locator('input[name="amount"]').fill("80");
    await payment.getByRole("button", { name: "Record the payment" }).click();
    await expect(issued.getByTestId("notice-status")).toContainText("Paid £80.00");
    await issued.scrollIntoViewIfNeeded();
    await screenshot(page, testInfo, "penalty-notice-paid");
  }
  await screenshot(page, testInfo, "penalty-notices");
});
