import { expect, test } from "@playwright/test";
import { hydrated, screenshot, signIn } from "./helpers";

// Leaving the roll, at the office's desk, at Brookside so the Oakfield pupils other specs use stay
// on roll. The attendance lead records a home-education notice, is told the cooling-off period
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
  await expect(page.getByTestId("deletion-error")).toContainText("never backdated");
  await form.getByLabel("First day off the roll").fill(fromToday(0));
  await form.getByRole("button", { name: "Take off the roll" }).click();
  const moved = page.getByTestId("deletion").filter({ hasText: secondName });
  await expect(moved).toHaveAttribute("data-state", "off-roll");
  await expect(moved).toContainText("Registered at another school");
  await expect(pupil.locator("option", { hasText: secondName })).toHaveCount(0);
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
