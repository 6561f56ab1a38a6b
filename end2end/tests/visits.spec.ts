import { Browser, BrowserContext, expect, Locator, Page, test } from "@playwright/test";
import { ChildProcess, spawn } from "node:child_process";
import { DEMO_PASSWORD, hydrated, screenshot } from "./helpers";

// Home visits on a phone, where the signal comes and goes. As in the late door's spec, "no
// network" is real: the tests run a Rollcall server of their own on the same database and stop
// it, so /visits must come from the service worker's cache and the visits from the phone's
// own storage. Office people (the officer, the lead, the DSL) use contexts of their own.

const VISITOR = "visits@oakfield.example";
const OFFICER = "officer@oakfield.example";
const LEAD = "lead@oakfield.example";
const DSL = "dsl@oakfield.example";

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "phone", "home visits are a phone screen");
});

/** A Rollcall server of the test's own, to stop and start as the network comes and goes. */
class OwnServer {
  readonly origin: string;
  private process?: ChildProcess;

  constructor(readonly port: number) {
    this.origin = `http://127.0.0.1:${port}`;
  }

  async start() {
    this.process = spawn("target/debug/rollcall", ["serve"], {
      cwd: "..",
      stdio: "ignore",
      env: {
        ...process.env,
        DATABASE_URL: process.env.E2E_DATABASE_URL ?? "",
        LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
        LEPTOS_SITE_ROOT: "target/site",
        RUST_LOG: "warn",
      },
    });
    for (let tries = 0; tries < 120; tries++) {
      try {
        if ((await fetch(`${this.origin}/healthz`)).ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`the test's own server did not start on ${this.origin}`);
  }

  async stop() {
    const process = this.process;
    if (!process || process.exitCode !== null || process.signalCode !== null) return;
    const exited = new Promise((resolve) => process.once("exit", resolve));
    process.kill("SIGKILL");
    await exited;
  }
}

const server = new OwnServer(Number(process.env.E2E_PORT ?? 3100) + 52);

test.beforeAll(async ({}, testInfo) => {
  if (testInfo.project.name !== "phone") return;
  await server.start();
});

test.afterAll(async () => {
  await server.stop();
});

async function signInAt(page: Page, email: string, landing: RegExp) {
  await page.goto(`${server.origin}/login`);
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(landing);
  await hydrated(page);
}

/** A phone-sized context of its own for another person. */
async function person(browser: Browser, email: string, landing: RegExp): Promise<[BrowserContext, Page]> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    locale: "en-GB",
    timezoneId: "Europe/London",
  });
  const page = await context.newPage();
  await signInAt(page, email, landing);
  return [context, page];
}

async function expectWaiting(page: Page, count: number) {
  const text = count === 0 ? "Nothing waiting to sync" : count === 1 ? "1 waiting to sync" : `${count} waiting to sync`;
  await expect(page.getByTestId("sync-badge")).toContainText(text);
}

/** The visitor's phone, signed in on /visits and synced, with the service worker in charge. */
async function openMyVisits(page: Page) {
  await signInAt(page, VISITOR, /\/visits/);
  await expect(page.getByTestId("sync-badge")).toContainText("Last synced");
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

/** Opens a case from the caseload, as a person would. (A full load of /cases/{id} is not used:
 * the page's letters list does not hydrate on a full load.) */
async function openCase(page: Page, pupil: string) {
  await page.goto(`${server.origin}/cases`);
  await hydrated(page);
  await page.getByRole("link", { name: "All cases at the school" }).click();
  await page.getByTestId("caseload").getByRole("link", { name: pupil, exact: true }).first().click();
  await page.waitForURL(/\/cases\/[0-9a-f-]+/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(pupil);
}

function visitCard(page: Page, pupil: string): Locator {
  return page.getByTestId("visit").filter({ hasText: pupil }).first();
}

async function assessRisk(card: Locator, firstVisit: boolean) {
  const form = card.getByTestId("risk-form");
  await form.getByLabel("Known risks at the address").fill("Large dog; ask for it to be shut away");
  if (firstVisit) {
    await form.getByLabel("First visit to this family").check();
    await form.getByLabel("A second person is needed").check();
  }
  await form.getByRole("button", { name: "Save risk assessment" }).click();
  await expect(card.getByTestId("risk-done")).toContainText("Risk assessed");
}

/** An ad hoc visit for the `index`th pupil of the list; returns the pupil's name. */
async function addAdHoc(page: Page, index: number, reason: string): Promise<string> {
  const adHoc = page.getByTestId("ad-hoc");
  await adHoc.locator("summary").click();
  const select = adHoc.getByLabel("Pupil");
  await select.selectOption({ index });
  const label = (await select.locator("option:checked").innerText()).trim();
  await adHoc.getByLabel("Reason").fill(reason);
  await adHoc.getByRole("button", { name: "Add the visit" }).click();
  await expect(adHoc).toContainText("Visit added.");
  const pupil = label.replace(/ \([^)]*\)$/, "");
  await expect(visitCard(page, pupil)).toBeVisible();
  return pupil;
}

test("offline: a risk assessment and a visit with a safeguarding concern reach the case and the DSL", async ({
  page,
  context,
  browser,
}, testInfo) => {
  // Four people, a server stopped and started: longer than the default minute.
  test.setTimeout(180_000);
  // The visitor's name, for the officer to choose.
  await openMyVisits(page);
  const visitorName = ((await page.locator(".who-name").first().textContent()) ?? "").trim();
  expect(visitorName).not.toBe("");

  // The officer plans a visit from a case.
  const [officerContext, office] = await person(browser, OFFICER, /\/today/);
  await office.goto(`${server.origin}/cases`);
  await hydrated(office);
  await office.getByRole("link", { name: "All cases at the school" }).click();
  const row = office.getByTestId("caseload").locator("tbody tr").first();
  await row.getByRole("link").first().click();
  await office.waitForURL(/\/cases\/[0-9a-f-]+/);
  await hydrated(office);
  const pupil = (await office.getByRole("heading", { level: 1 }).innerText()).trim();
  const plan = office.getByTestId("plan-visit");
  await plan.locator("summary").click();
  await plan.getByLabel("Who goes").selectOption({ label: visitorName });
  await plan.getByLabel("Reason").fill("Not in school for a week; no answer on the phone");
  await plan.getByRole("button", { name: "Plan the visit" }).click();
  await expect(plan.getByTestId("visit-planned")).toBeVisible();
  await screenshot(office, testInfo, "visits-plan-from-case");

  // Case names read "Last, First"; the phone says "First Last".
  const [last, first] = pupil.split(", ");
  const name = `${first} ${last}`;
  await page.getByRole("button", { name: "Sync now" }).click();
  const card = visitCard(page, name);
  await expect(card).toBeVisible();
  await expect(card).toContainText("Not in school for a week");
  await expect(card).toContainText("Attendance");

  // No network from here.
  await context.setOffline(true);
  await server.stop();

  await assessRisk(card, true);
  const checkIn = card.getByTestId("check-in-form");
  await checkIn.getByRole("button", { name: "Check in: start the visit" }).click();
  await expect(checkIn.getByRole("alert")).toContainText("second person is needed");
  await checkIn.getByLabel("Who is with you (needed)").fill("Jo Reed");
  await checkIn.getByRole("button", { name: "Check in: start the visit" }).click();
  await expect(card.getByTestId("checked-in")).toBeVisible();

  const record = card.getByTestId("record-form");
  await record.getByLabel("Child seen").check();
  await record.getByLabel("Safe and well check done").check();
  await record.getByLabel("Spoke with").fill("Mother");
  await record.getByLabel("What was said").fill("Mother said he has stomach aches every morning");
  await record.getByLabel("Facts", { exact: true }).fill("Bruising on the left forearm; curtains drawn at 11:00");
  await record.getByLabel("Professional opinion").fill("Mother seemed frightened of a visitor upstairs");
  await record.getByLabel("Agreed actions").fill("Back to school on Monday with a reduced timetable");
  await record.getByLabel("Next step").fill("Call mother on Monday at 9");
  await record.getByRole("button", { name: "Save the record" }).click();
  await expect(page.getByTestId("visit-message")).toContainText("Saved on this phone");

  const concern = card.getByTestId("concern-form");
  await concern.getByLabel("Safeguarding concern").fill("Bruising on the forearm, explanation changed twice");
  await concern.getByRole("button", { name: "Raise with the DSL now" }).click();
  await expect(card.getByTestId("concern-raised")).toBeVisible();
  await expectWaiting(page, 4);
  await page.screenshot({ path: "test-results/visits-offline-recorded.png", fullPage: true });

  // Reload with no network: the page from the service worker, the visit from the phone.
  await page.reload();
  await hydrated(page);
  await expectWaiting(page, 4);
  await expect(card.getByTestId("risk-done")).toContainText("waiting to send");
  await expect(card.getByTestId("checked-in")).toBeVisible();
  await expect(card.getByTestId("concern-raised")).toBeVisible();
  await expect(card.getByLabel("Facts", { exact: true })).toHaveValue(/Bruising on the left forearm/);
  await page.screenshot({ path: "test-results/visits-offline-reloaded.png", fullPage: true });

  // The network comes back: everything goes, and the notes are now the DSL's only.
  await server.start();
  await context.setOffline(false);
  await page.getByRole("button", { name: "Sync now" }).click();
  await expectWaiting(page, 0);
  await expect(card.getByTestId("notes-hidden")).toBeVisible();
  await expect(page.getByTestId("rejected")).toHaveCount(0);
  await page.screenshot({ path: "test-results/visits-back-online.png", fullPage: true });

  // On the case: planned and made, with the outcome but none of the notes.
  await openCase(office, pupil);
  const timeline = office.getByTestId("timeline");
  await expect(timeline).toContainText("Home visit planned");
  await expect(timeline).toContainText("Home visit made: Child seen; safe and well check done; spoke with Mother");
  await expect(timeline).not.toContainText("Bruising");
  await expect(timeline).not.toContainText("Safeguarding concern raised");
  await office.screenshot({ path: "test-results/visits-case-timeline.png", fullPage: true });
  await officerContext.close();

  // The DSL has the alert, and the concern on the case.
  const [dslContext, dsl] = await person(browser, DSL, /\/today/);
  await dsl.goto(`${server.origin}/visits`);
  await hydrated(dsl);
  const alerts = dsl.getByTestId("dsl-alerts");
  await expect(alerts).toContainText(name);
  await expect(alerts).toContainText("explanation changed twice");
  await dsl.screenshot({ path: "test-results/visits-dsl-alert.png", fullPage: true });
  await openCase(dsl, pupil);
  await expect(dsl.getByTestId("timeline")).toContainText("Safeguarding concern raised at a home visit");
  await dslContext.close();
  await screenshot(page, testInfo, "visits-mine");
});

test("a check-out overdue raises the office's alert with the address and the officer's phone", async ({
  page,
  browser,
}) => {
  await openMyVisits(page);
  const pupil = await addAdHoc(page, 3, "Sibling said he is caring for mum");
  const card = visitCard(page, pupil);
  await assessRisk(card, false);
  // The phone's clock says the visit began 90 minutes ago, with 15 minutes expected.
  await page.clock.setFixedTime(new Date(Date.now() - 90 * 60_000));
  const checkIn = card.getByTestId("check-in-form");
  await checkIn.getByLabel("I expect to be out within").selectOption("15");
  await checkIn.getByRole("button", { name: "Check in: start the visit" }).click();
  await expect(card.getByTestId("checked-in")).toBeVisible();
  await expectWaiting(page, 0);

  const [leadContext, lead] = await person(browser, LEAD, /\/today/);
  await lead.goto(`${server.origin}/visits`);
  await hydrated(lead);
  const overdue = lead.getByTestId("overdue-alerts").locator("article").filter({ hasText: pupil });
  await expect(overdue).toContainText("has not checked out");
  await expect(overdue).toContainText("Address:");
  await expect(overdue.getByRole("link", { name: /07700 900/ })).toBeVisible();
  await lead.screenshot({ path: "test-results/visits-overdue-alert.png", fullPage: true });
  await leadContext.close();
});

test("a record edited in the office while the phone was offline shows the conflict side by side", async ({
  page,
  context,
  browser,
}) => {
  await openMyVisits(page);
  const pupil = await addAdHoc(page, 5, "Second week of absence");
  const card = visitCard(page, pupil);
  const visitId = await card.getAttribute("data-visit");
  await assessRisk(card, false);
  await card.getByTestId("check-in-form").getByRole("button", { name: "Check in: start the visit" }).click();
  await expectWaiting(page, 0);

  // The phone loses the network and records the visit.
  await context.setOffline(true);
  const record = card.getByTestId("record-form");
  await record.getByLabel("No answer: card left").check();
  await record.getByLabel("Facts", { exact: true }).fill("Phone: no answer at 10:15, card through the door");
  await record.getByRole("button", { name: "Save the record" }).click();
  await expectWaiting(page, 1);

  // Meanwhile the lead records what the family said on the phone to the office.
  const [leadContext, lead] = await person(browser, LEAD, /\/today/);
  await lead.goto(`${server.origin}/visits/${visitId}`);
  await hydrated(lead);
  const office = lead.getByTestId("office-record");
  await office.getByLabel("Facts").fill("Office: mother rang at 10:30, they were at the GP");
  await office.getByRole("button", { name: "Save the record" }).click();
  await expect(lead.getByTestId("record-saved")).toBeVisible();
  await leadContext.close();

  // Back online: the phone's edit was based on the old revision, so it is kept beside it.
  await context.setOffline(false);
  await page.getByRole("button", { name: "Sync now" }).click();
  await expectWaiting(page, 0);
  const conflict = page.getByTestId("conflict").filter({ hasText: pupil });
  await expect(conflict).toContainText("Office: mother rang at 10:30");
  await expect(conflict).toContainText("Phone: no answer at 10:15");
  await page.screenshot({ path: "test-results/visits-conflict.png", fullPage: true });

  await conflict.getByRole("button", { name: "Take what was saved second" }).click();
  await expect(page.getByTestId("conflict").filter({ hasText: pupil })).toHaveCount(0);
  await expect(card.getByLabel("Facts", { exact: true })).toHaveValue(/Phone: no answer at 10:15/);
});
