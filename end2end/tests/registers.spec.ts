import { expect, Locator, Page, test, TestInfo } from "@playwright/test";
import { hydrated, screenshot, signIn } from "./helpers";

// Registers are taken in the office (desktop) and in classrooms (tablet). The demo has marks up
// to today, so these tests take registers of school days still to come. The projects run
// against the same database one after the other, so each owns its forms: desktop the A forms,
// tablet the B forms, phone none.
const forms: Record<string, { take: string; amend: string; conflict: string }> = {
  desktop: { take: "7A", amend: "8A", conflict: "9A" },
  tablet: { take: "7B", amend: "8B", conflict: "9B" },
};

function isoDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The first `count` school days at least a week ahead, read from the registers page. */
async function futureSchoolDays(page: Page, count: number): Promise<string[]> {
  const days: string[] = [];
  const day = new Date();
  day.setDate(day.getDate() + 7);
  for (let tries = 0; tries < 90 && days.length < count; tries++, day.setDate(day.getDate() + 1)) {
    if (day.getDay() === 0 || day.getDay() === 6) continue;
    const date = isoDate(day);
    await page.goto(`/registers?date=${date}`);
    const schoolDay = page.getByTestId("registers-AM");
    const closed = page.getByText("No registers are taken.");
    await expect(schoolDay.or(closed)).toBeVisible();
    if (await schoolDay.isVisible()) days.push(date);
  }
  expect(days.length, "school days ahead in this academic year").toBe(count);
  return days;
}

/** Opens a form's morning register from the day's registers page. */
async function openRegister(page: Page, date: string, form: string) {
  await page.goto(`/registers?date=${date}`);
  await page.getByTestId("registers-AM").getByRole("link", { name: `${form} morning`, exact: true }).click();
  await page.waitForURL(new RegExp(`/registers/[0-9a-f-]+/${date}/AM\\?school=`));
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: `${form} · Morning register` })).toBeVisible();
}

const lines = (page: Page) => page.getByTestId("register-line");
const quick = (line: Locator, name: string) => line.getByRole("button", { name, exact: true });

/** What the person sees on the screen now, not the whole page: the save bar stays at its foot. */
async function viewShot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: `screenshots/${testInfo.project.name}/${name}.png` });
}

function skipPhone(testInfo: TestInfo) {
  test.skip(testInfo.project.name === "phone", "registers are taken on tablets and desktops");
}

test("the office takes a register: all present, one late, one not yet known, then saved", async ({ page }, testInfo) => {
  skipPhone(testInfo);
  const { take } = forms[testInfo.project.name];
  await signIn(page, "officer@oakfield.example", "/today");
  const [date] = await futureSchoolDays(page, 1);

  await page.goto(`/registers?date=${date}`);
  await expect(page.getByTestId("not-taken")).toContainText(take);
  await expect(page.getByRole("heading", { name: /N marks? overdue/ })).toBeVisible();
  await screenshot(page, testInfo, "registers-day");

  await openRegister(page, date, take);
  await expect(page.getByTestId("register-times")).toContainText(/Register opens \d\d:\d\d, closes \d\d:\d\d/);
  await expect(page.getByTestId("register-times")).toContainText("Not open now");
  await expect(page.getByTestId("register-taken")).toHaveText("Not taken yet");
  const count = await lines(page).count();
  expect(count).toBeGreaterThan(5);
  await expect(lines(page).first().getByTestId("saved-mark")).toHaveText("Unmarked");

  // Everyone present, then the exceptions: a late arrival with minutes, an absence by keyboard.
  await page.getByRole("button", { name: "All present" }).click();
  await expect(quick(lines(page).nth(2), "/ Present")).toHaveAttribute("aria-pressed", "true");
  await quick(lines(page).nth(0), "L Late").click();
  const minutes = lines(page).nth(0).getByLabel("Minutes late");
  await expect(minutes).toBeFocused();
  await minutes.fill("12");

  await quick(lines(page).nth(1), "/ Present").focus();
  await page.keyboard.press("n");
  await expect(quick(lines(page).nth(1), "N No reason yet")).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("ArrowDown");
  await expect(quick(lines(page).nth(2), "/ Present")).toBeFocused();
  await page.keyboard.press("ArrowRight");
  await expect(quick(lines(page).nth(2), "L Late")).toBeFocused();

  // The full list shows each code with its meaning.
  const select = lines(page).nth(3).getByLabel(/^Code for /);
  await expect(select.locator("option", { hasText: "Y4 — Unable to attend: whole school site unexpectedly closed" })).toHaveCount(1);
  await expect(page.getByTestId("save-bar")).toContainText(`${count} of ${count} entered`);
  await viewShot(page, testInfo, "register-entered");

  await page.getByRole("button", { name: "Save register" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved:" })).toHaveText(`Saved: ${count} new, 0 changed, 0 unchanged.`);
  await expect(lines(page).nth(0).getByTestId("saved-mark")).toContainText("L (12 min)");

  // Read again from the server: the marks are saved, the register taken.
  await page.reload();
  await hydrated(page);
  await expect(lines(page).nth(0).getByTestId("saved-mark")).toContainText("L (12 min)");
  await expect(lines(page).nth(1).getByTestId("saved-mark")).toContainText("N");
  await expect(lines(page).nth(2).getByTestId("saved-mark")).toContainText("/");
  await expect(page.getByTestId("register-taken")).toContainText("Taken at");
  await page.getByText("Codes and what they mean").click();
  await expect(page.getByTestId("legend")).toContainText("Y4");
  await expect(page.getByTestId("legend").getByRole("row", { name: /^N Reason for absence not yet established/ })).toContainText("Unauthorised absence");
  await screenshot(page, testInfo, "register-saved");

  // The pupil's name leads to their attendance.
  await expect(lines(page).first().getByRole("link")).toHaveAttribute("href", /^\/pupils\/[0-9a-f-]+\/attendance\?school=/);

  await page.goto(`/registers?date=${date}`);
  await expect(page.getByTestId("not-taken").getByRole("link", { name: `${take} morning`, exact: true })).toHaveCount(0);
  await expect(page.getByTestId("not-taken").getByRole("link", { name: `${take} afternoon`, exact: true })).toHaveCount(1);
  await expect(page.getByTestId("registers-AM").getByRole("row", { name: new RegExp(`^${take} morning`) })).toContainText(`${count} of ${count}`);
});

test("a saved mark is amended with a reason and its history shows the original and the change", async ({ page }, testInfo) => {
  skipPhone(testInfo);
  const { amend } = forms[testInfo.project.name];
  await signIn(page, "lead@oakfield.example", "/today");
  const [date] = await futureSchoolDays(page, 1);
  await openRegister(page, date, amend);
  await page.getByRole("button", { name: "All present" }).click();
  await page.getByRole("button", { name: "Save register" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved:" })).toContainText("0 changed");
  await expect(lines(page).nth(0).getByTestId("saved-mark")).toContainText("/");

  // Amending one mark from its history.
  const first = lines(page).nth(0);
  await first.getByRole("button", { name: /^History/ }).click();
  const history = page.getByTestId("history");
  await expect(history).toContainText("Original: /");
  await history.getByLabel("New code").selectOption("I");
  await history.getByRole("button", { name: "Amend mark" }).click();
  await expect(history.getByRole("alert")).toContainText("Give a reason");
  await history.getByLabel("Reason for the change (required)").fill("Parent phoned at 09:30: ill");
  await history.getByRole("button", { name: "Amend mark" }).click();
  await expect(history.getByRole("status")).toContainText("Mark amended");
  await expect(history).toContainText("Original: /");
  await expect(history).toContainText("Changed from / to I");
  await expect(history).toContainText("Reason: Parent phoned at 09:30: ill");
  await expect(lines(page).nth(0).getByTestId("saved-mark")).toContainText("amended");
  await history.scrollIntoViewIfNeeded();
  await viewShot(page, testInfo, "register-history");

  // Changing a saved mark on the register itself asks for a reason first.
  const second = lines(page).nth(1);
  await quick(second, "M Medical").click();
  await page.getByRole("button", { name: "Save register" }).click();
  await expect(page.getByTestId("save-bar").getByRole("alert")).toContainText("give a reason");
  await page.getByLabel("Reason for changing saved marks (required)").fill("Dentist letter seen");
  await viewShot(page, testInfo, "register-reason");
  await page.getByRole("button", { name: "Save register" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved:" })).toHaveText("Saved: 0 new, 1 changed, 0 unchanged.");
  await expect(lines(page).nth(1).getByTestId("saved-mark")).toContainText("M");
});

test("saving a register someone else saved meanwhile is refused as a conflict", async ({ page }, testInfo) => {
  skipPhone(testInfo);
  const { conflict } = forms[testInfo.project.name];
  await signIn(page, "officer@oakfield.example", "/today");
  const [date] = await futureSchoolDays(page, 1);
  await openRegister(page, date, conflict);
  const other = await page.context().newPage();
  await other.goto(page.url());
  await hydrated(other);
  await expect(lines(other).first().getByTestId("saved-mark")).toHaveText("Unmarked");

  // The first copy saves.
  await page.getByRole("button", { name: "All present" }).click();
  await page.getByRole("button", { name: "Save register" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved:" })).toContainText("new");

  // The second, opened before, marks a pupil ill and is told what happened.
  await quick(lines(other).nth(0), "I Illness").click();
  await other.getByRole("button", { name: "Save register" }).click();
  await expect(other.getByRole("alert")).toContainText("Someone else changed this register after you opened it");
  await expect(other.getByRole("alert")).toContainText("Nothing was saved");
  await viewShot(other, testInfo, "register-conflict");
  await other.getByRole("button", { name: "Reload register" }).click();
  await expect(lines(other).first().getByTestId("saved-mark")).toContainText("/");
  await expect(other.getByRole("alert")).toHaveCount(0);

  // Saving the same register again is harmless.
  await page.reload();
  await hydrated(page);
  await quick(lines(page).nth(0), "/ Present").click();
  await page.getByRole("button", { name: "Save register" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved:" })).toHaveText("Saved: 0 new, 0 changed, 1 unchanged.");
  await other.close();
});

test("the day's registers say what is not taken and list N marks overdue", async ({ page }, testInfo) => {
  await signIn(page, "officer@oakfield.example", "/today");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Registers" }).click();
  await page.waitForURL(/\/registers/);
  await hydrated(page);
  await expect(page.getByLabel("Date", { exact: true })).toHaveValue(/^\d{4}-\d{2}-\d{2}$/);
  const heading = page.getByTestId("overdue-heading");
  await expect(heading).toHaveText(/^\d+ N marks? overdue$/);
  const overdue = page.getByTestId("overdue");
  if (await overdue.isVisible()) {
    await expect(overdue.getByRole("link").first()).toHaveAttribute("href", /^\/pupils\/[0-9a-f-]+\/attendance\?school=/);
  }
  // A Saturday has no registers, and the page says why.
  const saturday = new Date();
  saturday.setDate(saturday.getDate() + ((6 - saturday.getDay() + 7) % 7 || 7));
  await page.goto(`/registers?date=${isoDate(saturday)}`);
  await expect(page.getByText("No registers are taken.")).toBeVisible();
  await expect(page.getByText(/is the weekend\./)).toBeVisible();
  await screenshot(page, testInfo, "registers-weekend");
});

test("a school administrator records an unexpected closure for the whole school or one year", async ({ page }, testInfo) => {
  skipPhone(testInfo);
  await signIn(page, "admin@oakfield.example", "/today");
  const days = await futureSchoolDays(page, 3);
  const wholeSchool = testInfo.project.name === "desktop";
  const date = wholeSchool ? days[1] : days[2];
  await page.goto(`/registers?date=${date}`);
  await hydrated(page);
  await page.getByLabel("Date of the closure").fill(date);
  await page.getByRole("checkbox", { name: "Afternoon" }).uncheck();
  if (!wholeSchool) {
    await page.getByLabel("Who is closed").selectOption({ label: "Year 7 only: part of the premises (Y3)" });
  }
  await page.getByRole("button", { name: "Record closure…" }).click();
  await expect(page.getByRole("alert")).toContainText("Say why the school closed");
  await page.getByLabel("Reason (kept with every mark)").fill("Burst water main, site closed");
  await page.getByRole("button", { name: "Record closure…" }).click();
  await expect(page.getByTestId("closure-confirm")).toContainText(
    wholeSchool ? "Mark every pupil on roll Y4 for the morning of" : "Mark every pupil of Year 7 on roll Y3 for the morning of",
  );
  await page.getByRole("button", { name: "Yes, record the closure" }).click();
  const status = page.getByRole("status").filter({ hasText: "Closure recorded" });
  await expect(status).toContainText(/Closure recorded: \d+ marks written/);
  if (wholeSchool) {
    // Every morning register now has a mark for everyone, so none is left to take.
    await expect(page.getByTestId("not-taken")).not.toContainText("Morning");
  } else {
    // Year 7's morning registers are done; the other years' are still to take.
    const morning = page.getByTestId("not-taken").locator("p", { hasText: "Morning" });
    await expect(morning).not.toContainText("7A");
    await expect(morning).toContainText("8A");
  }
  await expect(page.getByTestId("not-taken")).toContainText("Afternoon");
  await screenshot(page, testInfo, wholeSchool ? "registers-closure" : "registers-closure-year");
});
