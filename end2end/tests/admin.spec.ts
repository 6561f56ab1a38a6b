import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, screenshot, signIn } from "./helpers";

test("a school administrator adds a member of staff who can then sign in", async ({ page, request }, testInfo) => {
  await signIn(page, "admin@oakfield.example", "/today");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Staff" }).click();
  await page.waitForURL(/\/admin\/staff/);
  await expect(page.getByTestId("staff")).toContainText("officer@oakfield.example");

  const email = `new.${testInfo.project.name}.${Date.now()}@oakfield.example`;
  await page.getByLabel("Name").fill("Priya Sharma");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("First password (at least 10 characters)").fill(DEMO_PASSWORD);
  await page.getByRole("checkbox", { name: "Attendance officer" }).check();
  await page.getByRole("button", { name: "Add member of staff" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Added" })).toBeVisible();
  await expect(page.getByTestId("staff")).toContainText(email);
  await screenshot(page, testInfo, "staff");

  // The same email twice is refused with a reason, and nothing changes.
  await page.getByLabel("Name").fill("Priya Sharma");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("First password (at least 10 characters)").fill(DEMO_PASSWORD);
  await page.getByRole("checkbox", { name: "Attendance officer" }).check();
  await page.getByRole("button", { name: "Add member of staff" }).click();
  await expect(page.getByRole("alert")).toContainText("already an account");

  const login = await request.post("/api/auth/login", { data: { email, password: DEMO_PASSWORD } });
  expect(login.status()).toBe(200);
  expect((await login.json()).landing).toBe("/today");
});

test("a school administrator adds an INSET day to the calendar", async ({ page }, testInfo) => {
  await signIn(page, "admin@oakfield.example", "/today");
  await page.goto("/admin/school");
  await expect(page.getByRole("heading", { name: "Terms" })).toBeVisible();
  const day = { phone: "2027-06-28", tablet: "2027-06-29", desktop: "2027-06-30" }[testInfo.project.name]!;
  await page.getByLabel("Date").fill(day);
  await page.getByLabel("Kind").selectOption("inset");
  await page.getByLabel("Note").fill("Staff training");
  await page.getByRole("button", { name: "Add closure" }).click();
  await expect(page.getByTestId("closures")).toContainText("Staff training");
  await screenshot(page, testInfo, "school-settings");
});
