import { APIResponse, expect, Page, test } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { baseURL } from "../playwright.config";
import { hydrated, screenshot, signIn } from "./helpers";

// The office's side of the late door, on the office's desktop. Arrivals are made the way a
// tablet makes them, through the sync protocol, on the latest school day of the last week whose
// morning register has closed (the demo's registers open at 08:40 and close at 09:10). The demo
// has marks up to today, so an arrival for a pupil marked present is a conflict; for the
// arrivals the door should write, the office first marks those pupils N (not known yet).
//
// The pupils come from form 8B, which the other tests take registers of only on days to come,
// and each test picks pupils with no arrival yet that day.

const FORM = "8B";

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "the office's late arrivals are a desktop page");
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

type Line = { pupil_id: string; name: string; mark: { mark_id: number; code: string } | null };

/** What the tests need to know of the demo: the school, the form and its register that day. */
async function setting(page: Page, date: string) {
  const me = await (await ok(await page.request.get("/api/auth/me"))).json();
  const school = me.schools.find((s: { name: string }) => s.name.includes("Oakfield")) ?? me.schools[0];
  const day = await call(page, "/api/fn/registers/day", { school_id: school.id, date });
  const register = day.registers.find((r: { form: string; session: string }) => r.form === FORM && r.session === "AM");
  expect(register, `form ${FORM} on ${date}`).toBeTruthy();
  const sheet = await call(page, "/api/fn/registers/load", {
    school_id: school.id,
    form_id: register.form_id,
    date,
    session: "AM",
  });
  const office = await (await ok(await page.request.get(`/api/schools/${school.id}/late-arrivals?date=${date}`))).json();
  const logged = new Set(office.arrivals.map((a: { pupil_id: string }) => a.pupil_id));
  // Pupils marked present that morning and not yet logged at any door.
  const free: Line[] = sheet.lines.filter((l: Line) => l.mark?.code === "/" && !logged.has(l.pupil_id));
  return { staffId: me.staff_id as string, schoolId: school.id as string, formId: register.form_id as string, free, office };
}

/** A tablet of this person's, registered to the school. */
async function tablet(page: Page, schoolId: string, staffId: string) {
  const deviceId = randomUUID();
  await ok(
    await page.request.post("/api/sync/devices", {
      data: { id: deviceId, school_id: schoolId, name: "Office test tablet" },
      headers: { Origin: baseURL },
    }),
  );
  return async (date: string, arrivals: { pupil: string; time: string; reason: string; note?: string }[]) => {
    const events = arrivals.map(({ pupil, time, reason, note }) => {
      const at = londonInstant(date, time).toISOString();
      return {
        id: randomUUID(),
        device_id: deviceId,
        staff_id: staffId,
        kind: "late_arrival",
        schema_version: 1,
        device_time: at,
        payload: { school_id: schoolId, pupil_id: pupil, arrived_at: at, reason, note: note ?? "" },
      };
    });
    const response = await ok(
      await page.request.post("/api/sync/push", {
        data: { device_id: deviceId, sent_at: new Date().toISOString(), events },
        headers: { Origin: baseURL },
      }),
    );
    const body = await response.json();
    for (const result of body.results) expect(result.status, JSON.stringify(result)).toBe("applied");
    return body.results.map((result: { note: string }, i: number) => ({ ...events[i], note: result.note }));
  };
}

/** A pupil's line in the day's arrivals; the page names pupils as the register does. */
const rowOf = (page: Page, name: string) => page.getByTestId("arrival").filter({ hasText: name });

test("the office sees the day's arrivals, a conflict to resolve on the register, and the sanctions list", async ({ page }, testInfo) => {
  await signIn(page, "officer@oakfield.example", "/today");
  const date = await recentSchoolDay(page);
  test.skip(date === null, "no school day in the last week whose morning register has closed");
  const { staffId, schoolId, formId, free, office } = await setting(page, date!);
  expect(free.length, `pupils of ${FORM} marked present and not logged late`).toBeGreaterThanOrEqual(4);
  const [mistake, late, after, conflict] = free.slice(-4);

  // Two pupils had not come in when the register was taken: the office marks them N.
  for (const line of [late, after]) {
    await call(page, "/api/fn/registers/amend", {
      school_id: schoolId,
      mark_id: String(line.mark!.mark_id),
      code: "N",
      reason: "Not in at registration: marked present by mistake",
    });
  }
  const push = await tablet(page, schoolId, staffId);
  const notes = await push(date!, [
    { pupil: late.pupil_id, time: "09:05", reason: "transport" },
    { pupil: after.pupil_id, time: "09:20", reason: "other", note: "Bus broke down" },
    { pupil: conflict.pupil_id, time: "08:55", reason: "overslept" },
  ]);
  expect(notes[0].note).toMatch(/^L, 25 minutes late/);
  expect(notes[1].note).toMatch(/^U, 40 minutes late/);
  expect(notes[2].note).toContain("already has / ");
  // A fourth is logged by mistake and taken back at the door.
  const [wrong] = await push(date!, [{ pupil: mistake.pupil_id, time: "09:01", reason: "transport" }]);
  const undone = await ok(
    await page.request.post("/api/sync/push", {
      data: {
        device_id: wrong.device_id,
        sent_at: new Date().toISOString(),
        events: [
          {
            id: randomUUID(),
            device_id: wrong.device_id,
            staff_id: staffId,
            kind: "late_arrival_undo",
            schema_version: 1,
            device_time: new Date().toISOString(),
            payload: { school_id: schoolId, arrival_id: wrong.id },
          },
        ],
      },
      headers: { Origin: baseURL },
    }),
  );
  expect((await undone.json()).results[0].status).toBe("applied");

  // The page is in the office's menu.
  await page.goto(`/today`);
  await hydrated(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Late arrivals" }).click();
  await page.waitForURL(/\/late-arrivals/);
  await expect(page.getByRole("heading", { level: 1, name: "Late arrivals" })).toBeVisible();

  await page.goto(`/late-arrivals?date=${date}`);
  await hydrated(page);
  await expect(page.getByTestId("count-late")).toHaveText(String(office.counts.late + 2));
  await expect(page.getByTestId("count-late-after-close")).toHaveText(String(office.counts.late_after_close + 1));
  await expect(page.getByTestId("count-total")).toHaveText(String(office.counts.total + 3));

  // Every arrival, with its time, mark, reason and who logged it.
  await expect(rowOf(page, late.name)).toContainText("09:05");
  await expect(rowOf(page, late.name)).toContainText("L (25 min)");
  await expect(rowOf(page, late.name)).toContainText("Transport");
  await expect(rowOf(page, after.name)).toContainText("U (40 min)");
  await expect(rowOf(page, after.name)).toContainText("Other: Bus broke down");
  await expect(rowOf(page, after.name)).toContainText(office.sanction_after_close || "None");
  await expect(rowOf(page, conflict.name)).toContainText("Conflict: / stood");
  await expect(rowOf(page, mistake.name)).toContainText("Undone");
  await expect(rowOf(page, mistake.name)).toHaveClass(/la-undone/);
  await expect(page.getByTestId("late-counts")).toContainText(`${office.counts.undone + 1} undone, not counted`);
  await expect(rowOf(page, late.name).getByRole("link", { name: late.name })).toHaveAttribute(
    "href",
    new RegExp(`^/pupils/${late.pupil_id}/attendance\\?school=`),
  );

  // The conflict says which code stood and leads to the register to resolve it.
  const conflicts = page.getByTestId("conflicts");
  await expect(conflicts.getByRole("heading", { level: 2 })).toContainText("Conflicts to resolve");
  const item = conflicts.getByTestId("conflict").filter({ hasText: conflict.name });
  await expect(item).toContainText("Present (AM) was on the register and stood: the door did not write L.");
  await expect(item).toContainText("arrived at 08:55, 15 minutes late");
  const registerLink = item.getByRole("link", { name: `Open the ${FORM} morning register` });
  await expect(registerLink).toHaveAttribute("href", `/registers/${formId}/${date}/AM?school=${schoolId}`);

  // The sanctions list: the U earned the policy's sanction; the L earned what the policy says.
  const sanctions = page.getByTestId("sanctions");
  if (office.sanction_after_close) {
    const list = sanctions.locator(`[data-sanction="${office.sanction_after_close}"]`);
    await expect(list.getByTestId("sanctioned").filter({ hasText: after.name })).toContainText("09:20 (U)");
  }
  if (!office.sanction_before_close) {
    await expect(sanctions.getByTestId("sanctioned").filter({ hasText: late.name })).toHaveCount(0);
  }
  await expect(page.getByTestId("concerns").getByRole("heading", { level: 2 })).toContainText("Punctuality concerns");
  await screenshot(page, testInfo, "late-arrivals");

  // Printed, only the sanctions list is on the sheet.
  await page.emulateMedia({ media: "print" });
  await expect(conflicts).toBeHidden();
  await expect(page.getByTestId("arrivals")).toBeHidden();
  await expect(sanctions).toBeVisible();
  await expect(sanctions.getByRole("button", { name: "Print the sanctions list" })).toBeHidden();
  await screenshot(page, testInfo, "late-arrivals-print");
  await page.emulateMedia({ media: "screen" });

  // The office opens the register from the conflict and marks the pupil late after all.
  await registerLink.click();
  await page.waitForURL(new RegExp(`/registers/${formId}/${date}/AM`));
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: `${FORM} · Morning register` })).toBeVisible();
  const mark = (
    await call(page, "/api/fn/registers/load", { school_id: schoolId, form_id: formId, date: date!, session: "AM" })
  ).lines.find((l: Line) => l.pupil_id === conflict.pupil_id).mark;
  await call(page, "/api/fn/registers/amend", {
    school_id: schoolId,
    mark_id: String(mark.mark_id),
    code: "L",
    minutes_late: "15",
    reason: "Seen at the late door at 08:55",
  });
  await page.goto(`/late-arrivals?date=${date}`);
  await hydrated(page);
  await expect(
    page.getByTestId("conflicts").locator(".la-resolved").getByTestId("conflict").filter({ hasText: conflict.name }),
  ).toContainText("the register now has L");
  await expect(rowOf(page, conflict.name)).toContainText("resolved, now L");
  await screenshot(page, testInfo, "late-arrivals-resolved");
});

test("an administrator sets the late policy, and the next arrival follows it", async ({ page }, testInfo) => {
  await signIn(page, "admin@oakfield.example", "/today");
  const date = await recentSchoolDay(page);
  test.skip(date === null, "no school day in the last week whose morning register has closed");
  const { staffId, schoolId, free } = await setting(page, date!);
  expect(free.length).toBeGreaterThanOrEqual(1);

  await page.goto("/admin/school");
  await hydrated(page);
  const form = page.getByTestId("late-policy");
  const lSanction = form.getByLabel("Sanction for L");
  const uSanction = form.getByLabel("Sanction for U");
  const concernAfter = form.getByLabel("Punctuality concern after");
  const original = {
    l: await lSanction.inputValue(),
    u: await uSanction.inputValue(),
    concern: await concernAfter.inputValue(),
  };
  try {
    await lSanction.fill("Reflection at break");
    await concernAfter.fill("2");
    await form.getByRole("button", { name: "Save late policy" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Late policy saved." })).toBeVisible();
    await expect(page.getByTestId("late-policy").getByLabel("Sanction for L")).toHaveValue("Reflection at break");
    await screenshot(page, testInfo, "school-settings-late-policy");

    // A pupil marked present comes through the door at 09:00: an L, now with a sanction, and a
    // conflict the sanctions list says to check first.
    const pupil = free[free.length - 1];
    const push = await tablet(page, schoolId, staffId);
    await push(date!, [{ pupil: pupil.pupil_id, time: "09:00", reason: "transport" }]);
    await page.goto(`/late-arrivals?date=${date}`);
    await hydrated(page);
    const sanctions = page.getByTestId("sanctions");
    await expect(sanctions).toContainText("an L earns Reflection at break");
    const line = sanctions.locator('[data-sanction="Reflection at break"]').getByTestId("sanctioned").filter({ hasText: pupil.name });
    await expect(line).toContainText("09:00 (L)");
    await expect(line).toContainText("Check first: the register has /");
    await expect(page.getByTestId("concerns")).toContainText("2 times or more");
    await screenshot(page, testInfo, "late-arrivals-new-policy");
  } finally {
    // Put the demo's policy back for the tests that follow.
    await page.goto("/admin/school");
    await hydrated(page);
    const again = page.getByTestId("late-policy");
    await again.getByLabel("Sanction for L").fill(original.l);
    await again.getByLabel("Sanction for U").fill(original.u);
    await again.getByLabel("Punctuality concern after").fill(original.concern);
    await again.getByRole("button", { name: "Save late policy" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Late policy saved." })).toBeVisible();
  }
});
