import { expect, test } from "@playwright/test";
import { hydrated, screenshot, signIn } from "./helpers";

// Leaving the roll, at the office's desk, at Brookside so the Oakfield pupils other specs use stay
// on roll. The attendance lead prints the ten-day notice for the demo's missing pupil and marks it
// sent, records a home-education notice, is told the cooling-off period
// comes first, then keeps the pupil on roll when the family changes their mind; a pupil who moved
// to another school comes off the roll today and the deletion return is marked sent. An officer
// reads the list but cannot take anyone off.

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "the admission register is office work");
});

/** The date `days` days from today in the school's time zone, as the date input takes it. */
function fromToday(days: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date(Date.now() + days * 86_400_000));
}

test("the attendance lead records home education with its cooling-off, keeps the pupil, and takes another off the roll", async ({ page }, testInfo) => {
  await signIn(page, "lead@brookside.example", "/today");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leaving the roll" }).click();
  await expect(page).toHaveURL(/\/roll/);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Leaving the roll");

  // The demo has a pupil nobody has heard from for 12 school days: the ten-day notice is due.
  const missing = page.getByTestId("missing").first();
  await expect(missing).toContainText(/\d+ school days since/);
  const missingName = (await missing.locator("strong").innerText()).trim();
  await missing.getByRole("link", { name: "Print the notice" }).click();
  await expect(page).toHaveURL(/\/roll\/ten-day\//);
  await hydrated(page);
  const notice = page.getByTestId("ten-day-notice");
  await expect(notice.getByRole("heading", { level: 1 })).toHaveText("Notice to the local authority: child missing education");
  await expect(notice).toContainText("consecutive school days");
  expect(await notice.getByTestId("notice-run").locator("tbody tr").count()).toBeGreaterThanOrEqual(10);
  await expect(notice.getByText("Parents and carers")).toBeVisible();
  await screenshot(page, testInfo, "roll-ten-day-notice");
  await page.getByRole("link", { name: "Back to leaving the roll" }).click();
  await expect(page).toHaveURL(/\/roll\?/);
  await hydrated(page);
  const row = page.getByTestId("missing").filter({ hasText: missingName });
  await row.getByRole("button", { name: "Mark notice sent" }).click();
  await expect(row).toHaveAttribute("data-sent", "true");
  await expect(row).toContainText("Sent");

  const form = page.getByTestId("new-deletion");
  const pupil = form.getByLabel("Pupil");
  const [first, second] = (await pupil.locator("option").allInnerTexts()).slice(1, 3);
  const firstName = first.replace(/ \(.*\)$/, "");
  const secondName = second.replace(/ \(.*\)$/, "");

  // Home education: off the roll only after the cooling-off period.
  await pupil.selectOption({ label: first });
  await form.getByLabel("Ground").selectOption("home_education");
  await form.getByLabel("Parent's written notice dated").fill(fromToday(0));
  await form.getByLabel("Cooling off until (optional)").fill(fromToday(7));
  await form.getByLabel("First day off the roll").fill(fromToday(7));
  await form.getByLabel(/^Note/).fill("Letter from mum: she will educate at home from next week");
  await form.getByRole("button", { name: "Take off the roll" }).click();
  await expect(page.getByTestId("deletion-error")).toContainText("at the earliest");
  await expect(page.getByTestId("deletion")).toHaveCount(0);
  await form.getByLabel("First day off the roll").fill(fromToday(8));
  await form.getByRole("button", { name: "Take off the roll" }).click();
  const home = page.getByTestId("deletion").filter({ hasText: firstName });
  await expect(home).toHaveAttribute("data-state", "cooling-off");
  await expect(home).toContainText("Cooling off until");
  await expect(home).toContainText("Parent's notice dated");
  await screenshot(page, testInfo, "roll-cooling-off");

  // The family changes their mind: the pupil stays on roll, the row stays as a record.
  await home.getByLabel("Reason to keep on roll").fill("Mum withdrew the notice after the meeting");
  await home.getByRole("button", { name: "Keep on roll" }).click();
  await expect(home).toHaveAttribute("data-state", "cancelled");
  await expect(home).toContainText("Cancelled: Mum withdrew the notice after the meeting");

  // Registered at another school: off the roll from today, never earlier.
  await pupil.selectOption({ label: second });
  await form.getByLabel("Ground").selectOption("another_school");
  await form.getByLabel("First day off the roll").fill(fromToday(-1));
  await form.getByLabel(/^Note/).fill("On roll at Riverside Primary since Monday: their office confirmed");
  await form.getByRole("button", { name: "Take off the roll" }).click();
  // The browser refuses a date before today (the server refuses it too: roll.rs's database test).
  const firstDay = form.getByLabel("First day off the roll");
  expect(await firstDay.evaluate((input: HTMLInputElement) => input.validity.rangeUnderflow)).toBe(true);
  await expect(page.getByTestId("deletion")).toHaveCount(1);
  await firstDay.fill(fromToday(0));
  await form.getByRole("button", { name: "Take off the roll" }).click();
  const moved = page.getByTestId("deletion").filter({ hasText: secondName });
  await expect(moved).toHaveAttribute("data-state", "off-roll");
  await expect(moved).toContainText("Registered at another school");
  await expect(pupil.locator("option", { hasText: secondName })).toHaveCount(0);
  await expect(form.getByLabel(/^Note/)).toHaveValue("");
  await moved.getByRole("button", { name: "Mark return sent" }).click();
  await expect(moved).toContainText("Sent");
  await expect(moved.getByRole("button", { name: "Mark return sent" })).toHaveCount(0);
  await screenshot(page, testInfo, "roll-deletions");

  // An officer reads the list but takes nobody off.
  await page.context().clearCookies();
  await signIn(page, "officer@brookside.example", "/today");
  await page.goto("/roll");
  await hydrated(page);
  await expect(page.getByTestId("deletion").filter({ hasText: secondName })).toContainText("Off the roll since");
  await expect(page.getByTestId("new-deletion")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Mark return sent" })).toHaveCount(0);
});
