import { expect, test } from "@playwright/test";
import { hydrated, screenshot, signIn } from "./helpers";

// Each role of the demo trust signs in and lands on its own page.
const roles = [
  { email: "admin@oakfield.example", landing: "/today", heading: "Today", role: "school-admin" },
  { email: "lead@oakfield.example", landing: "/today", heading: "Today", role: "attendance-lead" },
  { email: "officer@oakfield.example", landing: "/today", heading: "Today", role: "attendance-officer" },
  { email: "door@oakfield.example", landing: "/late-door", heading: "Late door", role: "late-door" },
  { email: "visits@oakfield.example", landing: "/visits", heading: "My visits", role: "home-visitor" },
  { email: "dsl@oakfield.example", landing: "/today", heading: "Today", role: "dsl" },
  { email: "tutor@oakfield.example", landing: "/today", heading: "Today", role: "pastoral" },
  { email: "head@oakfield.example", landing: "/today", heading: "Today", role: "leadership" },
  { email: "trust-admin@riverside.example", landing: "/today", heading: "Today", role: "trust-admin" },
];

test.describe("signing in", () => {
  for (const { email, landing, heading, role } of roles) {
    test(`${role} lands on ${landing}`, async ({ page }, testInfo) => {
      await signIn(page, email, landing);
      await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
      await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
      await screenshot(page, testInfo, `landing-${role}`);
    });
  }

  test("a wrong password says so and stays on the sign-in page", async ({ page }, testInfo) => {
    await page.goto("/login");
    await hydrated(page);
    await page.getByLabel("Email").fill("officer@oakfield.example");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("email or password is not right");
    await expect(page).toHaveURL(/\/login$/);
    await screenshot(page, testInfo, "sign-in-refused");
  });

  test("a signed-out visitor is sent to the sign-in page, and signing out ends the session", async ({ page }) => {
    await page.goto("/today");
    await page.waitForURL(/\/login$/);
    await signIn(page, "officer@oakfield.example", "/today");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login$/);
    await page.goto("/pupils");
    await page.waitForURL(/\/login$/);
  });

  test("the office finds a pupil and opens their record with contacts", async ({ page }, testInfo) => {
    await signIn(page, "officer@oakfield.example", "/today");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pupils" }).click();
    await page.waitForURL(/\/pupils/);
    await hydrated(page);
    const rows = page.locator("table.roll tbody tr");
    await expect(rows.first()).toBeVisible();
    const firstName = (await rows.first().locator("td").first().innerText()).split(",")[0];
    await page.getByLabel("Find a pupil by name, form or UPN").fill(firstName);
    await expect(rows.first()).toContainText(firstName);
    await screenshot(page, testInfo, "pupils");
    await rows.first().getByRole("link").click();
    await expect(page.getByRole("heading", { level: 2, name: "Contacts" })).toBeVisible();
    await expect(page.getByTestId("pupil-facts")).toContainText("UPN");
    // Safeguarding flags are for the DSL only.
    await expect(page.getByTestId("safeguarding-status")).toHaveCount(0);
    await screenshot(page, testInfo, "pupil");
  });

  test("the DSL sees the safeguarding line on a pupil's record", async ({ page }) => {
    await signIn(page, "dsl@oakfield.example", "/today");
    await page.goto("/pupils");
    await hydrated(page);
    await page.locator("table.roll tbody tr").first().getByRole("link").click();
    await expect(page.getByTestId("safeguarding-status")).toBeVisible();
  });

  test("the late door finds pupils as staff type", async ({ page }, testInfo) => {
    await signIn(page, "door@oakfield.example", "/late-door");
    await expect(page.getByTestId("roll-size")).toContainText("pupils on this tablet's roll");
    await page.getByLabel("Find the pupil: any part of the name, or the form").fill("7A");
    await expect(page.getByRole("list", { name: "Pupils found" }).getByRole("listitem").first()).toBeVisible();
    await screenshot(page, testInfo, "late-door");
  });

  test("a trust administrator switches school and the menu keeps the choice", async ({ page }, testInfo) => {
    await signIn(page, "trust-admin@riverside.example", "/today");
    await page.getByLabel("School").selectOption({ label: "Oakfield Academy" });
    await expect(page.getByTestId("day-facts")).toContainText("URN");
    await expect(page.getByRole("heading", { level: 2, name: "Oakfield Academy" })).toBeVisible();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pupils" }).click();
    await page.waitForURL(/\/pupils\?school=/);
    await expect(page.getByLabel("School")).toHaveValue(/.+/);
    const chosen = await page.getByLabel("School").locator("option:checked").innerText();
    expect(chosen).toBe("Oakfield Academy");
    await screenshot(page, testInfo, "trust-admin-pupils");
  });
});
