import { expect, Page, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "fs";
import { inflateRawSync } from "zlib";
import { hydrated, screenshot, signIn } from "./helpers";

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

/** The files of a zip archive (an .xlsx is one) as text (as in reports.spec.ts). */
function unzip(buffer: Buffer): Map<string, string> {
  const end = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buffer.readUInt16LE(end + 10);
  let offset = buffer.readUInt32LE(end + 16);
  const files = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const method = buffer.readUInt16LE(offset + 10);
    const size = buffer.readUInt32LE(offset + 20);
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    const local = buffer.readUInt32LE(offset + 42);
    const name = buffer.toString("utf8", offset + 46, offset + 46 + nameLength);
    const start = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(start, start + size);
    files.set(name, (method === 8 ? inflateRawSync(data) : data).toString("utf8"));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

async function upload(page: Page, name: string, text: string) {
  await page.setInputFiles("#import-file", { name, mimeType: "text/csv", buffer: Buffer.from(text) });
  await expect(page.getByText(`${name}:`)).toBeVisible();
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("import-summary")).toContainText(`Imported ${name}`);
}

/** The demo school's id and the last school days with marks, from its own marks export. */
async function schoolAndDays(page: Page): Promise<{ school: string; days: string[] }> {
  const me = await (await page.request.get("/api/auth/me")).json();
  const school: string = me.schools.find((s: { name: string }) => s.name.includes("Oakfield")).id;
  const today = new Date();
  const from = new Date(today.getTime() - 30 * 86_400_000).toISOString().slice(0, 10);
  const to = new Date(today.getTime() - 86_400_000).toISOString().slice(0, 10);
  const csv = await (await page.request.get(`/api/schools/${school}/marks.csv?from=${from}&to=${to}`)).text();
  const days = [...new Set(csv.trim().split("\n").slice(1).map((line) => line.split(",")[1]))].sort();
  expect(days.length).toBeGreaterThan(2);
  return { school, days: days.slice(-3, -1) };
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
  const { school, days } = await schoolAndDays(page);
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
  await page.reload();
  await hydrated(page);
  await expectShownAsText(page, [where, minutes, `Came ${XSS.svg}`, `Actions ${XSS.img}`], dialogs);
});
