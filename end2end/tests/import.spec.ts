import { expect, Page, test } from "@playwright/test";
import { schoolDays, screenshot, signIn } from "./helpers";

// The import page at a desktop, where the office imports files from the MIS.

/** The DfE's UPN check letter for twelve digits (app/src/domain/upn.rs). */
function upn(digits: string): string {
  const letters = "ABCDEFGHJKLMNPQRTUVWXYZ";
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(digits[i]) * (i + 2);
  return letters[sum % 23] + digits;
}

/** The same UPN with a wrong check letter. */
function mistyped(good: string): string {
  return (good[0] === "A" ? "B" : "A") + good.slice(1);
}

async function upload(page: Page, name: string, text: string) {
  await page.setInputFiles("#import-file", { name, mimeType: "text/csv", buffer: Buffer.from(text) });
  await expect(page.getByText(`${name}:`)).toBeVisible();
  await page.getByRole("button", { name: "Import" }).click();
}

test("an administrator imports pupils and marks, seeing every problem of a bad file first", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "importing files is office work, at a desktop");
  await signIn(page, "admin@oakfield.example", "/today");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Import" }).click();
  await page.waitForURL(/\/admin\/import/);
  await expect(page.getByRole("heading", { name: "Import from your MIS" })).toBeVisible();
  const { days } = await schoolDays(page);

  const serial = String(Date.now()).slice(-7);
  const ella = upn(`99901${serial}`);
  const noah = upn(`99902${serial}`);

  // A pupils file with three bad rows: every one is listed, and nothing is imported.
  const badPupils = [
    "UPN,Legal Forename,Legal Surname,DOB,Sex,NC Year,Reg Group,Admission Date",
    `${mistyped(ella)},Ella,Brown,2014-05-06,F,7,7Z,2020-09-01`,
    `${noah},Noah,Adeyemi,31/02/2014,X,7,7Z,2020-09-01`,
  ].join("\n");
  await upload(page, "bad-pupils.csv", badPupils);
  const pupilProblems = page.getByTestId("import-problems");
  await expect(page.getByRole("alert").filter({ hasText: "Nothing was imported" })).toContainText("3 problems on 2 lines");
  await expect(pupilProblems.locator("tbody tr")).toHaveCount(3);
  await expect(pupilProblems).toContainText("check letter");
  await expect(pupilProblems).toContainText("not a real date");
  await expect(pupilProblems).toContainText("write M or F");
  await screenshot(page, testInfo, "import-pupils-refused");

  // The good pupils file.
  const pupils = [
    "UPN,Legal Forename,Legal Surname,DOB,Sex,NC Year,Reg Group,Admission Date,FSM,Contact 1 Name,Contact 1 Relationship,Contact 1 Mobile",
    `${ella},Ella,Brown,06/05/2014,F,Year 7,7Z,01/09/2020,Y,Jo Brown,Father,07700 900456`,
    `${noah},Noah,Adeyemi,12/12/2014,M,7,7Z,01/09/2020,N,Tunde Adeyemi,Father,07700 900789`,
  ].join("\n");
  await upload(page, "pupils.csv", pupils);
  const pupilSummary = page.getByTestId("import-summary");
  await expect(pupilSummary).toContainText("Imported pupils.csv");
  await expect(pupilSummary).toContainText("New pupils2");
  await expect(pupilSummary).toContainText("Forms added7Z");
  await screenshot(page, testInfo, "import-pupils-done");

  // A marks file with a bad row of every kind.
  await page.getByLabel("Register marks").check();
  const [first, second] = days;
  const saturday = "2026-11-28";
  const badMarks = [
    "UPN,Date,Session,Mark,Minutes Late",
    `${ella},${first},AM,Q9,`,
    `${ella},${first.replaceAll("-", "/")},PM,/,`,
    `${mistyped(noah)},${first},AM,/,`,
    `${upn("99903" + serial)},${first},AM,/,`,
    `${noah},${saturday},AM,/,`,
    `${noah},${first},PM,I,`,
    `${noah},${first},PM,M,`,
    `${noah},${second},AM,L,`,
  ].join("\n");
  await upload(page, "bad-marks.csv", badMarks);
  const markProblems = page.getByTestId("import-problems");
  await expect(page.getByRole("alert").filter({ hasText: "Nothing was imported" })).toContainText("7 problems on 7 lines");
  await expect(markProblems.locator("tbody tr")).toHaveCount(7);
  for (const words of [
    "\"Q9\" is not an attendance code",
    "YYYY-MM-DD",
    "check letter",
    "no pupil with UPN",
    "not a school day",
    "also on line 7",
    "L needs the minutes late",
  ]) {
    await expect(markProblems).toContainText(words);
  }
  await screenshot(page, testInfo, "import-marks-refused");

  // The good marks file, pasted, with a withdrawn code.
  const marks = [
    "UPN,Date,Session,Code,Minutes Late",
    `${ella},${first},AM,/,`,
    `${ella},${first},PM,/,`,
    `${ella},${second},AM,L,12`,
    `${ella},${second},PM,H,`,
    `${noah},${first},AM,/,`,
    `${noah},${first},PM,\\,`,
    `${noah},${second},AM,H,`,
    `${noah},${second},PM,J,`,
  ].join("\n");
  await page.getByLabel("Or paste the CSV text").fill(marks);
  await page.getByRole("button", { name: "Import" }).click();
  const markSummary = page.getByTestId("import-summary");
  await expect(markSummary).toContainText("Imported pasted text");
  await expect(markSummary).toContainText("New marks8");
  await expect(page.getByTestId("import-mappings")).toContainText("H");
  await expect(page.getByTestId("import-mappings").locator("tbody tr")).toHaveCount(2);
  await expect(page.getByTestId("recent-imports")).toContainText("pasted text");
  await screenshot(page, testInfo, "import-marks-done");

  // The same again changes nothing.
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("import-summary")).toContainText("Nothing changed");
  await expect(page.getByTestId("import-summary")).toContainText("imported before");
});
