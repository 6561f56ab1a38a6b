import { expect, Page, test } from "@playwright/test";
import { hydrated, screenshot, signIn } from "./helpers";

/** The figures the JSON API gives for the same school, period and grouping. */
async function apiFigures(page: Page, schoolId: string, from: string, to: string, by: string) {
  const response = await page.request.get(`/api/schools/${schoolId}/attendance?from=${from}&to=${to}&by=${by}`);
  expect(response.status()).toBe(200);
  return response.json();
}

/** Checks that the table on screen shows what the API says: the groups, and the whole school's
 *  possible sessions and attendance. */
async function expectSameAsApi(page: Page, schoolId: string, from: string, to: string, by: string) {
  const json = await apiFigures(page, schoolId, from, to, by);
  const table = page.getByTestId("figures");
  await expect(table).toHaveAttribute("data-by", by);
  await expect(table.locator("tbody tr")).toHaveCount(json.groups.length);
  const total = page.getByTestId("total");
  await expect(total.locator('[data-cell="possible"]')).toHaveText(json.total.possible.toLocaleString("en-GB"));
  await expect(total.locator('[data-cell="enrolments"]')).toHaveText(json.total.enrolments.toLocaleString("en-GB"));
  // The screen shows one decimal place, the API two.
  const shown = parseFloat(await total.locator('[data-cell="attendance"]').innerText());
  expect(json.total.attendance_percent).not.toBeNull();
  expect(Math.abs(shown - json.total.attendance_percent)).toBeLessThan(0.06);
  return json;
}

test.describe("attendance figures", () => {
  test("a lead reads the school's figures by group and period, the same as the API, and opens a pupil's attendance", async ({
    page,
  }, testInfo) => {
    test.skip(testInfo.project.name !== "desktop", "leaders and the office read the school's figures at a desk");
    await signIn(page, "lead@oakfield.example", "/today");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Attendance" }).click();
    await page.waitForURL(/\/attendance/);
    await hydrated(page);
    await expect(page.getByRole("heading", { level: 1, name: "Attendance" })).toBeVisible();

    // By default: this academic year to date, by year.
    const schoolId = await page.locator('input[name="school"]').inputValue();
    const from = await page.getByLabel("From").inputValue();
    const to = await page.getByLabel("To").inputValue();
    expect(from).toMatch(/^\d{4}-09-01$/);
    expect(to >= from).toBeTruthy();
    const table = page.getByTestId("figures");
    await expect(table.locator("thead th").first()).toHaveText("Year");
    const byYear = await expectSameAsApi(page, schoolId, from, to, "year");
    expect(byYear.total.possible).toBeGreaterThan(0);
    await screenshot(page, testInfo, "attendance-by-year");

    // Another grouping.
    await page.getByLabel("Group by").selectOption("form");
    await page.getByRole("button", { name: "Show figures" }).click();
    await page.waitForURL(/by=form/);
    await expect(table.locator("thead th").first()).toHaveText("Form");
    const byForm = await expectSameAsApi(page, schoolId, from, to, "form");
    expect(byForm.groups.length).toBeGreaterThan(byYear.groups.length);
    expect(byForm.total.possible).toBe(byYear.total.possible);

    // Another period: September only.
    const september = `${from.slice(0, 4)}-09-30`;
    await page.getByLabel("To").fill(september);
    await page.getByRole("button", { name: "Show figures" }).click();
    await page.waitForURL(/to=\d{4}-09-30/);
    await expect(table.locator("caption")).toContainText("30 September");
    const inSeptember = await expectSameAsApi(page, schoolId, from, september, "form");
    expect(inSeptember.total.possible).toBeLessThan(byForm.total.possible);

    // By pupil: every name links to the pupil's attendance for the same period.
    await page.getByLabel("Group by").selectOption("pupil");
    await page.getByRole("button", { name: "Show figures" }).click();
    await page.waitForURL(/by=pupil/);
    await expect(table.locator("thead th").first()).toHaveText("Pupil");
    await expectSameAsApi(page, schoolId, from, september, "pupil");
    await screenshot(page, testInfo, "attendance-by-pupil");
    const row = table.locator("tbody tr").first();
    const name = await row.getByRole("link").innerText();
    const rowAttendance = await row.locator('[data-cell="attendance"]').innerText();
    await row.getByRole("link").click();
    await page.waitForURL(/\/pupils\/[0-9a-f-]+\/attendance\?/);
    await hydrated(page);

    // The pupil's page: who, the same figure for the same period, the calendar, the trend, the codes.
    const lastName = name.split(",")[0].trim();
    await expect(page.getByRole("heading", { level: 1 })).toContainText(lastName);
    await expect(page.getByTestId("pupil-line")).toContainText("UPN");
    await expect(page.getByTestId("attendance-percent")).toHaveText(rowAttendance);
    const calendar = page.getByTestId("calendar");
    await expect(calendar.locator("table.month")).toHaveCount(1);
    await expect(calendar.locator("caption").first()).toContainText("September");
    await expect(calendar.locator(".school-day .mark").first()).toHaveAttribute("aria-label", /September .*, (AM|PM): /);
    await expect(page.getByRole("img", { name: /Line chart of attendance to date/ })).toBeVisible();
    await expect(page.getByTestId("codes").locator("tbody tr").first()).toBeVisible();

    // The whole academic year to date: more months, and the numbers behind the chart.
    await page.getByRole("link", { name: "This academic year to date" }).click();
    await expect(page.getByRole("heading", { level: 2, name: /^From 1 September/ })).toBeVisible();
    await expect
      .poll(async () => calendar.locator("table.month").count())
      .toBeGreaterThan(1);
    await page.getByText("The numbers behind the chart").click();
    await expect(page.locator(".trend-numbers tbody tr").first()).toBeVisible();

    // An amended mark appears in the history with who, why and what it was.
    const present = calendar.locator(".mark.cat-present[data-mark-id]").first();
    const markId = await present.getAttribute("data-mark-id");
    const amend = await page.request.post("/api/fn/registers/amend", {
      form: { school_id: schoolId, mark_id: markId!, code: "M", reason: "Dentist: letter seen" },
      headers: { Origin: new URL(page.url()).origin },
    });
    expect(amend.status()).toBe(200);
    await page.reload();
    await hydrated(page);
    const amendments = page.getByTestId("amendments");
    await expect(amendments.locator("tbody tr").first()).toContainText("Dentist: letter seen");
    await expect(amendments.locator("tbody tr").first().getByRole("img")).toHaveAttribute(
      "aria-label",
      /changed to M \(Medical or dental appointment\)/,
    );
    await expect(page.locator(`[data-mark-id]`).filter({ hasText: /^M$/ }).first()).toHaveClass(/amended/);
    await screenshot(page, testInfo, "pupil-attendance");
  });

  test("an officer reads a pupil's attendance on the pupil's record, on any screen", async ({ page }, testInfo) => {
    test.skip(testInfo.project.name === "desktop", "the desktop reads it in the test above");
    await signIn(page, "officer@oakfield.example", "/today");
    await page.goto("/pupils");
    await hydrated(page);
    await page.locator("table.roll tbody tr").first().getByRole("link").click();
    await page.waitForURL(/\/pupils\/[0-9a-f-]+$|\/pupils\/[0-9a-f-]+\?/);
    await hydrated(page);
    await page.getByRole("link", { name: "Attendance: figures, marks and amendments" }).click();
    await page.waitForURL(/\/attendance/);
    await hydrated(page);
    await expect(page.getByTestId("headline")).toBeVisible();
    await expect(page.getByTestId("calendar").locator("table.month").first()).toBeVisible();
    await expect(page.getByRole("img", { name: /Line chart of attendance to date/ })).toBeVisible();
    await expect(page.getByRole("heading", { level: 2, name: "Sessions by code" })).toBeVisible();

    // Readable on the screen it is on: nothing wider than the page.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, testInfo, "pupil-attendance");
  });
});
