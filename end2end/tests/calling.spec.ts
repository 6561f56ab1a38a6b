import { APIResponse, expect, Page, test } from "@playwright/test";
import { baseURL } from "../playwright.config";
import { hydrated, screenshot, signIn } from "./helpers";

// First-day calling, at the office's desk. The demo has marks up to today, so the test picks the
// latest school day of the last week whose morning register has closed (the demo's registers
// open at 08:40 and close at 09:10), and a form the other tests leave alone on past days. One
// pupil marked present there is marked N by the office (not in after all): the officer works
// the list for them.

const OTHER_TESTS_FORMS = ["7A", "7B", "8A", "8B", "9A", "9B"];

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "first-day calling is worked at the office's desk");
});

/** The instant a London wall clock shows `time` on `day`. */
function londonInstant(day: string, time: string): Date {
  for (const offsetHours of [0, 1]) {
    const candidate = new Date(`${day}T${time}:00Z`);
    candidate.setUTCHours(candidate.getUTCHours() - offsetHours);
    const shown = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(candidate);
    if (shown === time) return candidate;
  }
  throw new Error(`no ${time} on ${day} in London`);
}

function londonDate(at: Date): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(at);
}

/** The latest school day in the last week whose 09:30 has passed, from the registers page. */
async function recentSchoolDay(page: Page): Promise<string | null> {
  for (let back = 0; back < 7; back++) {
    const date = londonDate(new Date(Date.now() - back * 86_400_000));
    if (londonInstant(date, "09:30").getTime() > Date.now()) continue;
    await page.goto(`/registers?date=${date}`);
    const schoolDay = page.getByTestId("registers-AM");
    const closed = page.getByText("No registers are taken.");
    await expect(schoolDay.or(closed)).toBeVisible();
    if (await schoolDay.isVisible()) return date;
  }
  return null;
}

async function ok(response: APIResponse): Promise<APIResponse> {
  expect(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`).toBe(true);
  return response;
}

/** A call as the signed-in page makes it: the same cookies, and this site's `Origin`. */
async function call(page: Page, path: string, form: Record<string, string>): Promise<any> {
  const response = await ok(await page.request.post(path, { form, headers: { Origin: baseURL } }));
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

test("an officer works the list: a pupil with N, a call with no answer, a call that gives the reason, the register amended", async ({ page }, testInfo) => {
  await signIn(page, "officer@oakfield.example", "/today");
  const date = await recentSchoolDay(page);
  test.skip(date === null, "no school day in the last week whose morning register has closed");

  const me = await (await ok(await page.request.get("/api/auth/me"))).json();
  const school = me.schools.find((s: { name: string }) => s.name.includes("Oakfield")) ?? me.schools[0];
  const day = await call(page, "/api/fn/registers/day", { school_id: school.id, date: date! });
  const registers = day.registers.filter(
    (r: { form: string; session: string }) => r.session === "AM" && !OTHER_TESTS_FORMS.includes(r.form),
  );
  const register = registers[registers.length - 1];
  const sheet = await call(page, "/api/fn/registers/load", {
    school_id: school.id,
    form_id: register.form_id,
    date: date!,
    session: "AM",
  });
  const line = sheet.lines.find((l: { mark: { code: string } | null }) => l.mark?.code === "/");
  expect(line, `a pupil of ${register.form} marked present on ${date}`).toBeTruthy();

  // The pupil was not in after all: the office marks them N.
  await call(page, "/api/fn/registers/amend", {
    school_id: school.id,
    mark_id: String(line.mark.mark_id),
    code: "N",
    reason: "Not in at registration: marked present by mistake",
  });

  // The list has them, with their contacts to call.
  await page.goto(`/calling?school=${school.id}&date=${date}`);
  await hydrated(page);
  const card = page.locator(`[data-pupil-id="${line.pupil_id}"]`);
  await expect(card.getByTestId("call-mark")).toHaveText("AM mark N");
  const firstContact = card.getByTestId("call-contact").first();
  await expect(firstContact).toBeVisible();
  await expect(firstContact.locator('a[href^="tel:"]').first()).toBeVisible();
  const toCall = Number(await page.getByTestId("count-to-call").textContent());

  // A call with no answer.
  await card.getByText("Log an attempt").click();
  const log = card.getByTestId("log-attempt");
  await log.getByLabel("How").selectOption("call");
  await log.getByLabel("Outcome").selectOption("no_answer");
  await log.getByLabel("Note").fill("Rang the mobile: no answer");
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, testInfo, "calling-log-attempt");
  await log.getByRole("button", { name: "Log attempt" }).click();
  await expect(card.getByTestId("call-attempt")).toContainText("No answer: Rang the mobile: no answer");
  await expect(page.getByTestId("count-to-call")).toHaveText(String(toCall - 1));
  await expect(card.getByTestId("call-mark")).toHaveText("AM mark N");

  // The mother rings back: flu. The reason sets the mark.
  await card.getByText("Record the reason the family gave").click();
  const reason = card.getByTestId("record-reason");
  await reason.getByLabel("Code").selectOption("I");
  await reason.getByLabel("What the family said").fill("Mum rang back: flu, back tomorrow");
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, testInfo, "calling-reason");
  await reason.getByRole("button", { name: "Record reason and set the mark" }).click();

  // The pupil leaves the list and is done.
  await expect(card).toHaveCount(0);
  const done = page.getByTestId("calling-done");
  await expect(done).toContainText("AM mark now I · 2 attempts");
  await expect(page.getByTestId("count-done")).not.toHaveText("0");
  // The other pupils' forms stay as they were: closed, with nothing typed for this pupil.
  await expect(page.locator("details.calling-form[open]")).toHaveCount(0);
  await screenshot(page, testInfo, "calling-done");

  // The register shows the new mark, with the N it replaced and the family's words.
  await page.goto(`/registers/${register.form_id}/${date}/AM?school=${school.id}`);
  await hydrated(page);
  const row = page.getByTestId("register-line").filter({ hasText: line.name });
  await expect(row.getByTestId("saved-mark")).toContainText("I");
  await row.getByRole("button", { name: /^History/ }).click();
  const history = page.getByTestId("history");
  await expect(history).toContainText("Original: /");
  await expect(history).toContainText("Changed from N to I");
  await expect(history).toContainText("Reason: First-day calling: Mum rang back: flu, back tomorrow");
  await history.scrollIntoViewIfNeeded();
  await screenshot(page, testInfo, "calling-register-history");
});
