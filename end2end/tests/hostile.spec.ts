import { expect, Page, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "fs";
import { baseURL } from "../playwright.config";
import { hydrated, schoolDays, screenshot, signIn, unzip } from "./helpers";

// Hostile input at a desktop (docs/security.md, "Hostile input"): markup typed into free-text
// fields shows as text and never runs, and a pupil named like a spreadsheet formula arrives in
// every export as text.

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "typing notes and importing files is office work, at a desktop");
});

/** Markup that runs script if it is ever inserted as HTML rather than as text. */
const XSS = {
  img: `<img src=x onerror="window.__xss=1">`,
  script: `<script>window.__xss=1</script>`,
  svg: `"><svg onload=window.__xss=1>`,
};

/** Counts dialogs, so that an injected `alert` would be caught too. */
function watchDialogs(page: Page): { count: number } {
  const seen = { count: 0 };
  page.on("dialog", async (dialog) => {
    seen.count += 1;
    await dialog.dismiss();
  });
  return seen;
}

/** The page shows each text literally, no injected element exists, and nothing ran. */
async function expectShownAsText(page: Page, texts: string[], dialogs: { count: number }) {
  for (const text of texts) await expect(page.getByText(text, { exact: false }).first()).toBeVisible();
  const injected = await page.evaluate(() => ({
    xss: (window as any).__xss,
    elements: document.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]').length,
    // The hydration data carries the text inside a script, as escaped data; an injected script
    // element would hold exactly the code.
    scripts: [...document.querySelectorAll("script")].filter((s) => s.textContent?.trim() === "window.__xss=1").length,
  }));
  expect(injected).toEqual({ xss: undefined, elements: 0, scripts: 0 });
  expect(dialogs.count).toBe(0);
}

/** The DfE's UPN check letter for twelve digits (app/src/domain/upn.rs). */
function upn(digits: string): string {
  const letters = "ABCDEFGHJKLMNPQRTUVWXYZ";
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(digits[i]) * (i + 2);
  return letters[sum % 23] + digits;
}

/** A field of a CSV line, quoted as RFC 4180 says. */
function quoted(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** The cells of one CSV line (RFC 4180 quoting). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inQuotes && c === '"' && line[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      inQuotes = !inQuotes;
    } else if (c === "," && !inQuotes) {
      cells.push(cell);
      cell = "";
    } else {
      cell += c;
    }
  }
  cells.push(cell);
  return cells;
}

/** Every cell of a CSV file that mentions `needle`. */
function cellsWith(csv: string, needle: string): string[] {
  return csv
    .split(/\r?\n/)
    .flatMap(csvCells)
    .filter((cell) => cell.includes(needle));
}

async function upload(page: Page, name: string, text: string) {
  await page.setInputFiles("#import-file", { name, mimeType: "text/csv", buffer: Buffer.from(text) });
  await expect(page.getByText(`${name}:`)).toBeVisible();
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("import-summary")).toContainText(`Imported ${name}`);
}

/** A form of the spec's own: other specs pick pupils by their place in the demo's forms, and the
 *  import spec expects to add 7Z itself. */
const HOSTILE_FORM = "7H";

const FORMULA_SURNAME = `=HYPERLINK("http://x","y")`;
const FORMULA_FORENAME = `+cmd|' /C calc'!A0`;

test("markup in pupils' and contacts' names from an import shows as text", async ({ page }, testInfo) => {
  const dialogs = watchDialogs(page);
  await signIn(page, "admin@oakfield.example", "/today");
  await page.goto("/admin/import");
  await hydrated(page);
  const serial = String(Date.now()).slice(-7);
  const pupil = upn(`99811${serial}`);
  await upload(
    page,
    "hostile-pupils.csv",
    [
      "UPN,Legal Forename,Legal Surname,DOB,Sex,NC Year,Reg Group,Admission Date,Contact 1 Name,Contact 1 Relationship,Contact 1 Mobile",
      [pupil, quoted(XSS.img), quoted(XSS.script), "06/05/2014", "F", "7", HOSTILE_FORM, "01/09/2020", quoted(XSS.svg), "Mother", "07700 900111"].join(","),
    ].join("\n"),
  );

  await page.goto("/pupils");
  await hydrated(page);
  await page.getByLabel("Find a pupil by name, form or UPN").fill(pupil);
  const row = page.locator("tbody tr").filter({ hasText: XSS.script });
  await expect(row).toHaveCount(1);
  await expectShownAsText(page, [XSS.img, XSS.script], dialogs);
  await row.getByRole("link").first().click();
  await page.waitForURL(/\/pupils\/[0-9a-f-]+/);
  await hydrated(page);
  await expectShownAsText(page, [XSS.img, XSS.script, XSS.svg], dialogs);
  await screenshot(page, testInfo, "hostile-pupil");
  // And when the page is loaded afresh, rendered on the server.
  await page.reload();
  await hydrated(page);
  await expectShownAsText(page, [XSS.img, XSS.script, XSS.svg], dialogs);
});

test("a pupil named like a formula arrives as text in the register copy and the reports' CSV and workbook", async ({ page }) => {
  await signIn(page, "admin@oakfield.example", "/today");
  const { school, days } = await schoolDays(page);
  await page.goto("/admin/import");
  await hydrated(page);
  const serial = String(Date.now()).slice(-7);
  const pupil = upn(`99812${serial}`);
  await upload(
    page,
    "formula-pupils.csv",
    [
      "UPN,Legal Forename,Legal Surname,DOB,Sex,NC Year,Reg Group,Admission Date",
      [pupil, quoted(FORMULA_FORENAME), quoted(FORMULA_SURNAME), "06/05/2014", "M", "7", HOSTILE_FORM, "01/09/2020"].join(","),
    ].join("\n"),
  );
  // Late marks, so the pupil is in the lateness report too.
  await page.getByLabel("Register marks").check();
  await upload(
    page,
    "formula-marks.csv",
    ["UPN,Date,Session,Code,Minutes Late", ...days.flatMap((day) => [`${pupil},${day},AM,L,10`, `${pupil},${day},PM,/,`])].join("\n"),
  );

  // Each cell naming the pupil starts with an apostrophe, so a spreadsheet shows it as text.
  const expectNeutralised = (csv: string, where: string) => {
    const cells = cellsWith(csv, "HYPERLINK");
    expect(cells.length, `${where} names the pupil`).toBeGreaterThan(0);
    for (const cell of cells) expect(cell, where).toMatch(/^'[=+]/);
  };

  const month = days[0].slice(0, 7);
  const copy = await page.request.get(`/api/schools/${school}/register-copies/${month}`);
  expect(copy.status()).toBe(200);
  expectNeutralised(await copy.text(), "the register copy");

  const from = days[0];
  const to = days[days.length - 1];
  await page.goto(`/reports?report=lateness&from=${from}&to=${to}`);
  await hydrated(page);
  await expect(page.getByTestId("report")).toHaveAttribute("data-report", "lateness");
  await expect(page.getByTestId("table-By pupil")).toContainText(FORMULA_SURNAME);
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
  expectNeutralised(readFileSync(await csvDownload.path()).toString("utf8"), "the lateness CSV");

  // The workbook holds the name as a shared string, and no cell of it is a formula.
  const [xlsxDownload] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-xlsx").click()]);
  const workbook = unzip(readFileSync(await xlsxDownload.path()));
  expect((workbook.get("xl/sharedStrings.xml") ?? "").replaceAll("&quot;", '"')).toContain(FORMULA_SURNAME);
  const sheets = [...workbook.entries()].filter(([name]) => name.startsWith("xl/worksheets/"));
  expect(sheets.length).toBeGreaterThan(0);
  for (const [name, xml] of sheets) expect(xml, name).not.toMatch(/<f[ >]/);
});

test("markup in a case's notes, override reason, task and close reason shows as text", async ({ page }, testInfo) => {
  const dialogs = watchDialogs(page);
  await signIn(page, "officer@oakfield.example", "/today");
  await page.goto("/cases?all=1");
  await hydrated(page);
  // The third case from the end: the cases and meetings specs work the last two.
  const rows = page.getByTestId("caseload").locator("tbody tr");
  await rows.nth((await rows.count()) - 3).getByRole("link").first().click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);
  await page.reload();
  await hydrated(page);
  const timeline = page.getByTestId("timeline");

  await page.getByLabel("Note", { exact: true }).fill(`Note ${XSS.img}`);
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(timeline).toContainText(`Note ${XSS.img}`);

  const override = page.getByTestId("override").first();
  if (await override.isVisible()) {
    await override.getByLabel("Reason for overriding").fill(`Override ${XSS.svg}`);
    await override.getByRole("button", { name: "Override" }).click();
    await expect(timeline).toContainText(`Override ${XSS.svg}`);
  }

  const tasks = page.getByTestId("case-tasks");
  const today = new Date().toLocaleDateString("en-CA", { timeZone: "Europe/London" });
  await tasks.getByLabel("Task").fill(`Task ${XSS.script}`);
  await tasks.getByLabel("Due").fill(today);
  await tasks.getByRole("button", { name: "Add task" }).click();
  await expect(tasks.getByTestId("case-task").filter({ hasText: `Task ${XSS.script}` })).toHaveCount(1);

  await page.getByLabel("Reason for closing the case").fill(`Closed ${XSS.img}`);
  await page.getByRole("button", { name: "Close the case" }).click();
  await expect(timeline).toContainText(`Case closed: Closed ${XSS.img}`);
  await expectShownAsText(page, [`Note ${XSS.img}`, `Task ${XSS.script}`, `Closed ${XSS.img}`], dialogs);

  // Loaded afresh, from the server's HTML.
  await page.reload();
  await hydrated(page);
  await expectShownAsText(page, [`Note ${XSS.img}`, `Task ${XSS.script}`, `Closed ${XSS.img}`], dialogs);
  await screenshot(page, testInfo, "hostile-case");
});

test("markup in a member of staff's name and a leave request's reason shows as text", async ({ page }, testInfo) => {
  const dialogs = watchDialogs(page);
  await signIn(page, "admin@oakfield.example", "/today");
  await page.goto("/admin/staff");
  await hydrated(page);
  const name = `Staff ${XSS.svg}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(`hostile.${Date.now()}@oakfield.example`);
  await page.getByLabel("First password (at least 10 characters)").fill("rollcall-demo");
  await page.getByRole("checkbox", { name: "Attendance officer" }).check();
  await page.getByRole("button", { name: "Add member of staff" }).click();
  await expect(page.getByTestId("staff")).toContainText(name);
  await page.reload();
  await hydrated(page);
  await expectShownAsText(page, [name], dialogs);
  await screenshot(page, testInfo, "hostile-staff");

  await page.context().clearCookies();
  await signIn(page, "officer@oakfield.example", "/today");
  await page.goto("/leave");
  await hydrated(page);
  const form = page.getByTestId("new-leave");
  const pupil = form.locator('select[name="pupil_id"]');
  await pupil.selectOption((await pupil.locator("option").nth(1).getAttribute("value"))!);
  await expect(form.locator('select[name="contact_id"] option').first()).not.toHaveText("Choose the pupil first");
  const day = new Date(Date.now() + 21 * 86_400_000);
  while (day.getDay() === 0 || day.getDay() === 6) day.setDate(day.getDate() + 1);
  const iso = day.toISOString().slice(0, 10);
  await form.locator('input[name="first_date"]').fill(iso);
  await form.locator('input[name="last_date"]').fill(iso);
  await form.locator('select[name="ground"]').selectOption("J1");
  const reason = `Reason ${XSS.img} ${XSS.script}`;
  await form.locator('textarea[name="parent_reason"]').fill(reason);
  await form.getByRole("button", { name: "Record the request" }).click();
  await expect(page.getByTestId("leave-requests").locator("tr").filter({ hasText: reason })).toHaveCount(1);
  await page.reload();
  await hydrated(page);
  await expectShownAsText(page, [reason], dialogs);
});

/** The date `days` from today in London, as a date input takes it. */
function fromToday(days: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date(Date.now() + days * 86_400_000));
}

test("markup in an arrangement's sessions and review and in a meeting's place, invitees and minutes shows as text", async ({ page }) => {
  const dialogs = watchDialogs(page);
  await signIn(page, "officer@oakfield.example", "/today");
  await page.goto("/arrangements");
  await hydrated(page);
  const form = page.getByTestId("new-arrangement");
  const pupil = form.getByLabel("Pupil");
  const [choice] = (await pupil.locator("option").allInnerTexts()).slice(3, 4);
  await pupil.selectOption({ label: choice });
  await form.getByLabel("Arrangement").selectOption("reduced_timetable");
  await form.getByLabel("Last day").fill(fromToday(26));
  await form.getByLabel("Local authority told on").fill(fromToday(0));
  await form.getByLabel(/^Review on/).fill(fromToday(11));
  const sessions = `Sessions ${XSS.img}`;
  await form.getByLabel(/^The sessions attended/).fill(sessions);
  await form.getByRole("button", { name: "Record the arrangement" }).click();
  const arrangement = page.getByTestId("arrangement").filter({ hasText: sessions });
  await expect(arrangement).toHaveCount(1);
  const review = `Review ${XSS.script}`;
  await arrangement.getByLabel("What the review decided").fill(review);
  await arrangement.getByLabel("Next review").fill(fromToday(18));
  await arrangement.getByRole("button", { name: "Save the review" }).click();
  await expect(page.getByTestId("arrangement").filter({ hasText: sessions })).toContainText(review);
  await page.reload();
  await hydrated(page);
  await expectShownAsText(page, [sessions, review], dialogs);

  // A meeting on the fourth case from the end: the cases, meetings and this spec work the last three.
  await page.goto("/cases?all=1");
  await hydrated(page);
  const rows = page.getByTestId("caseload").locator("tbody tr");
  await rows.nth((await rows.count()) - 4).getByRole("link").first().click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);
  await hydrated(page);
  const caseId = new URL(page.url()).pathname.split("/").pop()!;
  const meetings = page.getByTestId("case-meetings");
  await meetings.getByText("Arrange a meeting").click();
  const arrange = page.getByTestId("arrange-meeting");
  await arrange.getByLabel("Kind of meeting").selectOption({ label: "Attendance meeting" });
  await arrange.getByLabel("Date").fill(fromToday(7));
  await arrange.getByLabel("Time").fill("15:30");
  const where = `Room ${XSS.svg}`;
  const invited = `Invited ${XSS.img}`;
  await arrange.getByLabel("Where").fill(where);
  await arrange.getByLabel("Invited").fill(invited);
  await arrange.getByRole("button", { name: "Arrange meeting" }).click();
  await expect(meetings.getByTestId("meeting").first()).toContainText(where);

  // The meeting took place yesterday, as far as this spec's own database knows.
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error("E2E_DATABASE_URL is not set");
  execFileSync("psql", [url, "-qAtc", `update meetings set starts_at = now() - interval '1 day' where case_id = '${caseId}'`]);
  await page.reload();
  await hydrated(page);
  const record = page.getByTestId("record-meeting");
  const minutes = `Minutes ${XSS.script}`;
  await record.getByLabel("Who came").fill(`Came ${XSS.svg}`);
  await record.getByLabel("Minutes").fill(minutes);
  await record.getByLabel("Actions agreed").fill(`Actions ${XSS.img}`);
  await record.getByRole("button", { name: "Record meeting" }).click();
  await expect(meetings.getByTestId("meeting-record")).toContainText(minutes);

  // The attendance plan agreed at that meeting.
  const support = `Support ${XSS.img} ${XSS.svg}`;
  await meetings.getByText("Agree an attendance plan").click();
  const plan = page.getByTestId("agree-plan");
  await plan.getByLabel(/Target attendance/).fill("95");
  await plan.getByLabel("Review date").fill(fromToday(42));
  await plan.getByLabel("Support agreed").fill(support);
  await plan.getByRole("button", { name: "Agree plan" }).click();
  await expect(page.getByTestId("plans")).toContainText(`Support agreed: ${support}`);
  await page.reload();
  await hydrated(page);
  await expectShownAsText(page, [where, minutes, `Came ${XSS.svg}`, `Actions ${XSS.img}`, `Support agreed: ${support}`], dialogs);
});

/** This spec's database, for the few facts the pages do not show. */
function sql(query: string): string {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error("E2E_DATABASE_URL is not set");
  return execFileSync("psql", [url, "-qAtc", query]).toString().trim();
}

/** The signed-in person and the demo school. */
async function whoAndWhere(page: Page): Promise<{ staffId: string; schoolId: string }> {
  const me = await (await page.request.get("/api/auth/me")).json();
  const school = me.schools.find((s: { name: string }) => s.name.includes("Oakfield"));
  return { staffId: me.staff_id, schoolId: school.id };
}

/** A device of the signed-in person's, registered to the school, that pushes events as a phone
 *  or tablet does (`docs/sync.md`); every event must be applied. */
async function device(page: Page, schoolId: string, staffId: string) {
  const deviceId = randomUUID();
  const registered = await page.request.post("/api/sync/devices", {
    data: { id: deviceId, school_id: schoolId, name: "Hostile input test device" },
    headers: { Origin: baseURL },
  });
  expect(registered.ok(), await registered.text()).toBe(true);
  return async (kind: string, payload: Record<string, unknown>, at: string = new Date().toISOString()) => {
    const response = await page.request.post("/api/sync/push", {
      data: {
        device_id: deviceId,
        sent_at: new Date().toISOString(),
        events: [{ id: randomUUID(), device_id: deviceId, staff_id: staffId, kind, schema_version: 1, device_time: at, payload }],
      },
      headers: { Origin: baseURL },
    });
    expect(response.ok(), await response.text()).toBe(true);
    const [result] = (await response.json()).results;
    expect(result.status, JSON.stringify(result)).toBe("applied");
  };
}

/** The instant a London wall clock shows `time` on `day` (as in late-arrivals.spec.ts). */
function londonInstant(day: string, time: string): Date {
  for (const offsetHours of [0, 1]) {
    const candidate = new Date(`${day}T${time}:00Z`);
    candidate.setUTCHours(candidate.getUTCHours() - offsetHours);
    const shown = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(candidate);
    if (shown === time) return candidate;
  }
  throw new Error(`no ${time} on ${day} in London`);
}

/** Imports one pupil into the spec's own form and answers its UPN. */
async function importPupil(page: Page, prefix: string, forename: string, surname: string): Promise<string> {
  await page.goto("/admin/import");
  await hydrated(page);
  const pupil = upn(`${prefix}${String(Date.now()).slice(-7)}`);
  await upload(
    page,
    `${forename.toLowerCase()}-pupils.csv`,
    [
      "UPN,Legal Forename,Legal Surname,DOB,Sex,NC Year,Reg Group,Admission Date,Contact 1 Name,Contact 1 Relationship,Contact 1 Mobile",
      [pupil, forename, surname, "06/05/2014", "F", "7", HOSTILE_FORM, "01/09/2020", "Pat Parent", "Mother", "07700 900111"].join(","),
    ].join("\n"),
  );
  return pupil;
}

/** A case of the school that the other specs leave alone: they work the first and the last four. */
async function quietCase(page: Page, fromEnd: number): Promise<string> {
  await page.goto("/cases?all=1");
  await hydrated(page);
  const rows = page.getByTestId("caseload").locator("tbody tr");
  const count = await rows.count();
  expect(count, "cases at the school").toBeGreaterThan(fromEnd + 1);
  await rows.nth(count - fromEnd).getByRole("link").first().click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);
  await hydrated(page);
  return new URL(page.url()).pathname.split("/").pop()!;
}

test("markup in a letter template's subject and text shows as text in the letter, the letters list and the case", async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  const dialogs = watchDialogs(page);
  await signIn(page, "lead@oakfield.example", "/today");
  const caseId = await quietCase(page, 5);
  const step = sql(`select stage from cases where id = '${caseId}'`);
  await page.goto("/letters");
  await hydrated(page);
  const template = page.locator(`details.letter-template[data-step="${step}"]`);
  await expect(template, `a template for the case's stage ${step}`).toHaveCount(1);
  await template.locator("summary").click();
  const subjectField = template.getByLabel("Subject");
  const bodyField = template.getByLabel("Letter");
  const [subject, body] = [await subjectField.inputValue(), await bodyField.inputValue()];
  const hostileSubject = `Subject ${XSS.svg}`;
  const hostileText = `Text ${XSS.img} ${XSS.script}`;
  try {
    await subjectField.fill(hostileSubject);
    await bodyField.fill(`${body}\n\n${hostileText}`);
    await template.getByRole("button", { name: "Save template" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Template saved" })).toBeVisible();

    await page.goto(`/cases/${caseId}`);
    await hydrated(page);
    await page.getByTestId("generate-letter").getByRole("button", { name: "Generate the stage letter" }).click();
    await page.getByRole("link", { name: "Open the letter" }).click();
    await page.waitForURL(/\/letters\/[0-9a-f-]+/);
    await hydrated(page);
    await expect(page.getByTestId("letter")).toContainText(hostileText);
    await expectShownAsText(page, [hostileSubject, hostileText], dialogs);
    await page.reload();
    await hydrated(page);
    await expectShownAsText(page, [hostileSubject, hostileText], dialogs);
    await screenshot(page, testInfo, "hostile-letter");

    await page.goto("/letters");
    await hydrated(page);
    await expect(page.getByTestId("letters")).toContainText(hostileSubject);
    await expectShownAsText(page, [hostileSubject], dialogs);
    await page.goto(`/cases/${caseId}`);
    await hydrated(page);
    await expect(page.getByTestId("case-letters")).toContainText(hostileSubject);
    await expectShownAsText(page, [hostileSubject, `Letter generated: ${hostileSubject}`], dialogs);
  } finally {
    // The template as it was, for the letters spec and anyone after.
    await page.goto("/letters");
    await hydrated(page);
    await template.locator("summary").click();
    await template.getByLabel("Subject").fill(subject);
    await template.getByLabel("Letter").fill(body);
    await template.getByRole("button", { name: "Save template" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Template saved" })).toBeVisible();
  }
});

test("markup in a home visit's reason, notes and findings shows as text on the visit and the case", async ({ page }, testInfo) => {
  const dialogs = watchDialogs(page);
  await signIn(page, "officer@oakfield.example", "/today");
  const { staffId, schoolId } = await whoAndWhere(page);
  const caseId = await quietCase(page, 6);
  const reason = `Visit ${XSS.script}`;
  const plan = page.getByTestId("plan-visit");
  await plan.locator("summary").click();
  await plan.getByLabel("Who goes").selectOption(staffId);
  await plan.getByLabel("Reason").fill(reason);
  await plan.getByRole("button", { name: "Plan the visit" }).click();
  await expect(plan.getByTestId("visit-planned")).toBeVisible();
  const visitId = sql(`select id from home_visits where case_id = '${caseId}' order by created_at desc limit 1`);
  // The phone's risk assessment, as the phone sends it.
  const push = await device(page, schoolId, staffId);
  await push("visit_risk_assessment", {
    school_id: schoolId,
    visit_id: visitId,
    risks_known: `Risks ${XSS.img}`,
    second_person_needed: false,
    first_visit: false,
  });

  await page.goto(`/visits/${visitId}`);
  await hydrated(page);
  const form = page.getByTestId("office-record");
  const fields: [string, string][] = [
    ["Spoke with", `Spoke ${XSS.svg}`],
    ["What was said", `Said ${XSS.img}`],
    ["Facts", `Facts ${XSS.script}`],
    ["Professional opinion", `Opinion ${XSS.svg}`],
    ["Agreed actions", `Actions ${XSS.img}`],
    ["Next step", `Next ${XSS.script}`],
  ];
  for (const [label, text] of fields) await form.getByLabel(label, { exact: true }).fill(text);
  await form.getByRole("button", { name: "Save the record" }).click();
  await expect(page.getByTestId("record-saved")).toBeVisible();
  await page.reload();
  await hydrated(page);
  // The notes come back into the form to edit, as values; the reason is on the page.
  for (const [label, text] of fields) await expect(page.getByTestId("office-record").getByLabel(label, { exact: true })).toHaveValue(text);
  await expectShownAsText(page, [reason], dialogs);
  await screenshot(page, testInfo, "hostile-visit");

  await page.goto(`/cases/${caseId}`);
  await hydrated(page);
  await expectShownAsText(page, [reason, `Next step: Next ${XSS.script}`], dialogs);
});

test("markup in a late arrival's note shows as text on the office's late arrivals", async ({ page }) => {
  const dialogs = watchDialogs(page);
  await signIn(page, "admin@oakfield.example", "/today");
  const surname = `Late${String(Date.now()).slice(-6)}`;
  await importPupil(page, "99813", "Lena", surname);
  const { days } = await schoolDays(page);
  const day = days[days.length - 1];
  const pupilId = sql(`select p.id from pupils p where p.legal_last_name = '${surname}'`);

  await page.context().clearCookies();
  await signIn(page, "officer@oakfield.example", "/today");
  const { staffId, schoolId } = await whoAndWhere(page);
  const push = await device(page, schoolId, staffId);
  const note = `Note ${XSS.img} ${XSS.script} ${XSS.svg}`;
  const at = londonInstant(day, "09:20").toISOString();
  await push("late_arrival", { school_id: schoolId, pupil_id: pupilId, arrived_at: at, reason: "other", note }, at);

  await page.goto(`/late-arrivals?date=${day}`);
  await hydrated(page);
  await expect(page.getByTestId("arrival").filter({ hasText: surname })).toContainText(`Other: ${note}`);
  await expectShownAsText(page, [`Other: ${note}`], dialogs);
});

test("markup in an attendance plan's support, a leave decision's reason and a leaving-the-roll note shows as text", async ({ page }) => {
  const dialogs = watchDialogs(page);
  // Leaving the roll, for a pupil of the spec's own, then kept on roll.
  await signIn(page, "admin@oakfield.example", "/today");
  const surname = `Roll${String(Date.now()).slice(-6)}`;
  await importPupil(page, "99814", "Rhea", surname);
  await page.context().clearCookies();
  await signIn(page, "lead@oakfield.example", "/today");
  await page.goto("/roll");
  await hydrated(page);
  const form = page.getByTestId("new-deletion");
  const pupil = form.getByLabel("Pupil");
  await pupil.selectOption((await pupil.locator("option").filter({ hasText: surname }).getAttribute("value"))!);
  await form.getByLabel("Ground").selectOption("another_school");
  await form.getByLabel("First day off the roll").fill(fromToday(7));
  const note = `Moved ${XSS.img} ${XSS.script}`;
  await form.getByLabel(/^Note: enquiries made/).fill(note);
  await form.getByRole("button", { name: "Take off the roll" }).click();
  const deletion = page.getByTestId("deletion").filter({ hasText: surname });
  await expect(deletion).toContainText(note);
  const kept = `Stayed ${XSS.svg}`;
  await deletion.getByLabel("Reason to keep on roll").fill(kept);
  await deletion.getByRole("button", { name: "Keep on roll" }).click();
  await expect(page.getByTestId("deletion").filter({ hasText: surname })).toHaveAttribute("data-state", "cancelled");
  await page.reload();
  await hydrated(page);
  await expectShownAsText(page, [note, `Cancelled: ${kept}`], dialogs);

  // A leave request refused, with its reason, on the list and the decision notice.
  await page.goto("/leave");
  await hydrated(page);
  const leave = page.getByTestId("new-leave");
  const choice = leave.locator('select[name="pupil_id"]');
  await choice.selectOption((await choice.locator("option").filter({ hasText: surname }).getAttribute("value"))!);
  await expect(leave.locator('select[name="contact_id"] option').first()).not.toHaveText("Choose the pupil first");
  const away = new Date(Date.now() + 28 * 86_400_000);
  while (away.getDay() === 0 || away.getDay() === 6) away.setDate(away.getDate() + 1);
  await leave.locator('input[name="first_date"]').fill(away.toISOString().slice(0, 10));
  await leave.locator('input[name="last_date"]').fill(away.toISOString().slice(0, 10));
  await leave.locator('select[name="ground"]').selectOption("J1");
  await leave.locator('textarea[name="parent_reason"]').fill("A family wedding");
  await leave.getByRole("button", { name: "Record the request" }).click();
  const row = page.getByTestId("leave-requests").locator("tr").filter({ hasText: surname });
  await expect(row).toHaveCount(1);
  const decision = `Refused ${XSS.svg} ${XSS.img}`;
  const decide = row.getByTestId("decide-leave");
  await decide.getByLabel("Refuse").check();
  await decide.locator('textarea[name="reason"]').fill(decision);
  await decide.getByRole("button", { name: "Save the decision" }).click();
  await expect(page.getByTestId("leave-requests").locator("tr").filter({ hasText: surname })).toContainText(decision);
  await page.reload();
  await hydrated(page);
  await expectShownAsText(page, [decision], dialogs);
  await page.getByTestId("leave-requests").locator("tr").filter({ hasText: surname }).getByRole("link", { name: "Decision notice" }).click();
  await page.waitForURL(/\/leave\/[0-9a-f-]+/);
  await hydrated(page);
  await expect(page.getByTestId("leave-notice")).toContainText(decision);
  await expectShownAsText(page, [decision], dialogs);
  await page.reload();
  await hydrated(page);
  await expectShownAsText(page, [decision], dialogs);
});
