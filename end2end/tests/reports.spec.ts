import { expect, Page, test } from "@playwright/test";
import { readFileSync } from "fs";
import { hydrated, screenshot, signIn, unzip } from "./helpers";

/** Picks a report, and optionally a period and grouping, and waits for it. */
async function showReport(page: Page, key: string, options: { from?: string; by?: string } = {}) {
  await page.getByLabel("Report", { exact: true }).selectOption(key);
  if (options.from) await page.getByLabel("From", { exact: true }).fill(options.from);
  if (options.by) await page.getByLabel("Group by").selectOption(options.by);
  await page.getByRole("button", { name: "Show report" }).click();
  await page.waitForURL(new RegExp(`report=${key}`));
  await expect(page.getByTestId("report")).toHaveAttribute("data-report", key);
}

/** The text of each body row's first cell of a table on the page. */
async function firstCells(page: Page, sheet: string) {
  return page.getByTestId(`table-${sheet}`).locator("tbody tr th").allInnerTexts();
}

test.describe("reports", () => {
  test.beforeEach(({}, testInfo) => {
    test.skip(testInfo.project.name !== "desktop", "leaders and the office read reports at a desk");
  });

  test("the office's day: registers, who is in, absences by reason, and the fire register kept for no network", async ({
    page,
  }, testInfo) => {
    await signIn(page, "admin@oakfield.example", "/today");
    const overview = page.getByTestId("today-overview").or(page.getByTestId("no-registers-today"));
    await expect(overview).toBeVisible();
    test.skip(
      await page.getByTestId("no-registers-today").isVisible(),
      "today is not a school day at the demo school",
    );
    await expect(page.getByTestId("today-registers")).toContainText("taken");
    const count = async (cell: string) =>
      Number(await page.getByTestId("today-now").locator(`[data-cell="${cell}"]`).innerText());
    const onRoll = Number(await page.getByTestId("pupils-on-roll").innerText());
    expect((await count("present")) + (await count("absent")) + (await count("elsewhere")) + (await count("unmarked"))).toBe(
      onRoll,
    );
    await expect(page.getByTestId("today-calling")).toBeVisible();
    await screenshot(page, testInfo, "today-overview");

    const onSite = Number(await page.getByTestId("today-fire").locator('[data-cell="on-site"]').innerText());
    await page.getByRole("link", { name: "Open the fire register" }).click();
    await page.waitForURL(/\/fire-register/);
    await hydrated(page);
    await expect(page.getByTestId("fire-count")).toHaveText(String(onSite));
    await expect(page.locator(".fire-table tbody tr")).toHaveCount(onSite);
    await screenshot(page, testInfo, "fire-register");
    await page.emulateMedia({ media: "print" });
    await expect(page.getByRole("button", { name: "Print" })).toBeHidden();
    await expect(page.locator(".top-bar")).toBeHidden();
    await screenshot(page, testInfo, "fire-register-print");
    await page.emulateMedia({ media: "screen" });

    // The device keeps the register: with the network gone, coming back to the page shows it.
    const kept = await page.evaluate(() =>
      Object.keys(localStorage).filter((key) => key.startsWith("rollcall.fire-register.")),
    );
    expect(kept.length).toBe(1);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Today" }).click();
    await page.waitForURL(/\/today/);
    await expect(page.getByTestId("today-overview")).toBeVisible();
    await page.context().setOffline(true);
    await page.goBack();
    await page.waitForURL(/\/fire-register/);
    await expect(page.getByTestId("fire-offline")).toBeVisible();
    await expect(page.locator(".fire-table tbody tr")).toHaveCount(onSite);
    await screenshot(page, testInfo, "fire-register-offline");
    await page.context().setOffline(false);
  });

  test("a lead runs each report, switches period and group, and exports CSV and Excel", async ({ page }, testInfo) => {
    await signIn(page, "lead@oakfield.example", "/today");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reports" }).click();
    await page.waitForURL(/\/reports/);
    await hydrated(page);
    await expect(page.getByRole("heading", { level: 1, name: "Reports" })).toBeVisible();
    const from = await page.getByLabel("From", { exact: true }).inputValue();
    const to = await page.getByLabel("To", { exact: true }).inputValue();
    expect(from).toMatch(/^\d{4}-09-01$/);

    for (const key of [
      "daily-absence",
      "n-codes",
      "persistent-absence",
      "falling-attendance",
      "lateness",
      "penalty-notices-and-cases",
      "breakdown",
    ]) {
      await showReport(page, key);
      await expect(page.getByTestId("report").locator('[data-testid^="table-"]').first()).toBeVisible();
      await screenshot(page, testInfo, `report-${key}`);
    }

    // The breakdown by form: three charts, each an image with a title, and its numbers.
    await showReport(page, "breakdown", { by: "form" });
    await page.waitForURL(/by=form/);
    const breakdown = page.getByTestId("table-Breakdown");
    await expect(breakdown.locator("thead th").first()).toHaveText("Form");
    const charts = page.locator('svg[role="img"]');
    await expect(charts).toHaveCount(3);
    await expect(charts.first().locator("title").first()).toHaveText("Weekly attendance");
    await expect(page.getByTestId("table-National").locator("tbody tr")).toHaveCount(11);
    await expect(page.getByTestId("table-National")).toContainText("Autumn term 2024/25");
    const forms = await firstCells(page, "Breakdown");
    expect(forms.length).toBeGreaterThan(1);
    await screenshot(page, testInfo, "report-breakdown-by-form");

    // Another group and a shorter period: the same report follows.
    const october = `${from.slice(0, 4)}-10-01`;
    await showReport(page, "breakdown", { from: october, by: "fsm" });
    await page.waitForURL(/by=fsm/);
    await expect(page.getByTestId("report-period")).toContainText("1 October");
    await expect(breakdown.locator("thead th").first()).toHaveText("Free school meals");
    expect(await firstCells(page, "Breakdown")).toEqual([
      "Eligible for free school meals",
      "Not eligible for free school meals",
    ]);

    // Lateness, exported: the CSV and the workbook hold what the page shows.
    await showReport(page, "lateness", { from });
    const pupils = await firstCells(page, "By pupil");
    expect(pupils.length).toBeGreaterThan(0);
    const forms2 = await firstCells(page, "By form");

    const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
    expect(csvDownload.suggestedFilename()).toBe(`lateness-${from}-to-${to}.csv`);
    const csv = readFileSync(await csvDownload.path()).toString("utf8");
    const lines = csv.trim().split("\n");
    expect(lines[0]).toContain("Lateness: Oakfield");
    expect(csv).toContain("Late sessions by form");
    // Every form and pupil of the page, in the file (names are quoted when they hold a comma).
    for (const name of [...forms2, ...pupils.slice(0, 5)]) expect(csv).toContain(name);
    // One line per table row, with headings, titles and blank lines between tables.
    expect(lines.length).toBe(1 + 2 * 3 + forms2.length + 1 + pupils.length);

    const [xlsxDownload] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-xlsx").click()]);
    expect(xlsxDownload.suggestedFilename()).toBe(`lateness-${from}-to-${to}.xlsx`);
    const workbook = unzip(readFileSync(await xlsxDownload.path()));
    expect(workbook.get("xl/workbook.xml")).toContain('name="By form"');
    expect(workbook.get("xl/workbook.xml")).toContain('name="By pupil"');
    const strings = workbook.get("xl/sharedStrings.xml") ?? "";
    expect(strings).toContain("Late sessions by form");
    const plainName = pupils.find((name) => !/[&'"<>]/.test(name));
    if (plainName) expect(strings).toContain(plainName);
    // The second sheet has a row per pupil under its four heading rows.
    const sheet = workbook.get("xl/worksheets/sheet2.xml") ?? "";
    expect((sheet.match(/<row /g) ?? []).length).toBe(3 + pupils.length);

    // The printable page leaves the form and buttons out.
    await page.emulateMedia({ media: "print" });
    await expect(page.getByTestId("export-csv")).toBeHidden();
    await screenshot(page, testInfo, "report-lateness-print");
    await page.emulateMedia({ media: "screen" });
  });

  test("the trust administrator sees every school side by side and drills down to one", async ({ page }, testInfo) => {
    await signIn(page, "trust-admin@riverside.example", /\/today/);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reports" }).click();
    await page.waitForURL(/\/reports/);
    await hydrated(page);
    await page.getByRole("link", { name: "The trust's schools side by side" }).click();
    await page.waitForURL(/view=trust/);
    const schools = page.getByTestId("table-Schools");
    await expect(schools).toBeVisible();
    const names = await schools.locator("tbody tr th").allInnerTexts();
    expect(names.length).toBeGreaterThan(1);
    await expect(schools.locator("tfoot")).toContainText("All schools");
    await screenshot(page, testInfo, "trust-view");

    // The schools side by side as a file: a line per school and the trust's total.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
    expect(download.suggestedFilename()).toMatch(/^breakdown-.*\.csv$/);
    const csv = readFileSync(await download.path()).toString("utf8");
    for (const name of names) expect(csv).toContain(name);
    expect(csv).toContain("All schools");

    await schools.locator("tbody tr th a").first().click();
    await page.waitForURL(/report=breakdown/);
    await expect(page.getByTestId("report")).toContainText(names[0]);
    await screenshot(page, testInfo, "trust-drill-down");
  });
});
