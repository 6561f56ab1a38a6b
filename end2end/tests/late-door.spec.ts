import { Browser, BrowserContext, chromium, expect, Page, test } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChildProcess, spawn } from "node:child_process";
import { baseURL } from "../playwright.config";
import { DEMO_PASSWORD, hydrated, screenshot, signIn } from "./helpers";

// The late door on a tablet at the school gate, where the Wi-Fi is poor. "No network" here is
// real: these tests run a second Rollcall server of their own beside Playwright's, on the same
// database, and stop it, so the page must come from the service worker's cache and the
// arrivals from the tablet's own storage.
//
// L or U is decided by the tablet's clock, so each tablet's clock is set to a school day in the
// last week (the demo's registers open at 08:40 and close at 09:10): 09:05 is L, 25 minutes
// late; 09:20 is U, 40 minutes late, with the demo's same-day detention.
//
// Each test logs pupils of its own forms, so the tests never log the same pupil twice.

const DOOR = "door@oakfield.example";

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "tablet", "the late door is a tablet screen");
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

/** The latest school day in the last week whose 09:20 has passed, from the registers page. */
async function recentSchoolDay(browser: Browser): Promise<string | null> {
  const context = await browser.newContext({ baseURL, locale: "en-GB", timezoneId: "Europe/London" });
  const page = await context.newPage();
  await signIn(page, "officer@oakfield.example", "/today");
  try {
    for (let back = 0; back < 7; back++) {
      const date = londonDate(new Date(Date.now() - back * 86_400_000));
      if (londonInstant(date, "09:21").getTime() > Date.now()) continue;
      await page.goto(`/registers?date=${date}`);
      const schoolDay = page.getByTestId("registers-AM");
      const closed = page.getByText("No registers are taken.");
      await expect(schoolDay.or(closed)).toBeVisible();
      if (await schoolDay.isVisible()) return date;
    }
    return null;
  } finally {
    await context.close();
  }
}

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

  /** Stops it at once, as a power cut or a crash would. */
  async stop() {
    const process = this.process;
    if (!process || process.exitCode !== null || process.signalCode !== null) return;
    const exited = new Promise((resolve) => process.once("exit", resolve));
    process.kill("SIGKILL");
    await exited;
  }
}

let day: string | null = null;
const server = new OwnServer(Number(process.env.E2E_PORT ?? 3100) + 50);

test.beforeAll(async ({ browser }, testInfo) => {
  if (testInfo.project.name !== "tablet") return;
  day = await recentSchoolDay(browser);
  await server.start();
});

test.afterAll(async () => {
  await server.stop();
});

/** Sets the tablet's clock, then signs the late-door person in at `origin`. */
async function openTheDoor(page: Page, origin: string, time: string) {
  test.skip(day === null, "no school day in the last week (a holiday): the server refuses older arrivals");
  await page.clock.setFixedTime(londonInstant(day!, time));
  await page.goto(`${origin}/login`);
  await hydrated(page);
  await page.getByLabel("Email").fill(DOOR);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/late-door/);
  await hydrated(page);
  await expect(page.getByTestId("roll-size")).toContainText("pupils on this tablet's roll");
  await expect(page.getByTestId("sync-badge")).toContainText("Last synced");
}

async function setClock(page: Page, time: string) {
  await page.clock.setFixedTime(londonInstant(day!, time));
}

/** Finds the `index`th pupil of a form and taps them; returns the name on the button. */
async function choosePupil(page: Page, form: string, index: number): Promise<string> {
  await page.getByLabel("Find the pupil: any part of the name, or the form").fill(form);
  const button = page.getByRole("list", { name: "Pupils found" }).getByRole("button").nth(index);
  const name = (await button.locator(".name").innerText()).trim();
  await button.click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  return name;
}

async function logLate(page: Page, form: string, index: number, reason: string): Promise<string> {
  const name = await choosePupil(page, form, index);
  await page.getByRole("button", { name: reason }).click();
  await expect(page.getByTestId("saved")).toContainText(`Saved: ${name}.`);
  return name;
}

async function expectWaiting(page: Page, count: number) {
  const text = count === 0 ? "Nothing waiting to sync" : count === 1 ? "1 waiting to sync" : `${count} waiting to sync`;
  await expect(page.getByTestId("sync-badge")).toContainText(text);
}

/** The school the tablet registered to, from its storage. */
async function schoolOf(page: Page): Promise<string> {
  return page.evaluate(() => {
    const key = Object.keys(localStorage).find((key) => /^rollcall\.device\.[0-9a-f-]{36}$/.test(key));
    if (!key) throw new Error("the tablet has no device id");
    return key.slice("rollcall.device.".length);
  });
}

/** How many arrivals (not undone) the server holds for each of these pupils on the test's day. */
async function onServer(page: Page, origin: string, school: string, names: string[]) {
  // The pupils' ids, from the roll the tablet holds.
  const ids: Record<string, string> = await page.evaluate((school) => {
    const roll = JSON.parse(localStorage.getItem(`rollcall.late_door.${school}.roll`) ?? "[]");
    return Object.fromEntries(roll.map((pupil: any) => [`${pupil.first_name} ${pupil.last_name}`, pupil.id]));
  }, school);
  const response = await page.context().request.get(`${origin}/api/schools/${school}/late-arrivals?date=${day}`);
  expect(response.ok(), await response.text()).toBeTruthy();
  const body = await response.json();
  const counts: Record<string, number> = {};
  for (const name of names) {
    expect(ids[name], `${name} on the tablet's roll`).toBeTruthy();
    counts[name] = body.arrivals.filter((arrival: any) => arrival.pupil_id === ids[name] && !arrival.undone).length;
  }
  return counts;
}

async function goOffline(context: BrowserContext) {
  await context.setOffline(true);
}

test.describe("the late door", () => {
  test("arrivals logged with no network survive a reload and reach the server exactly once", async ({
    page,
    context,
  }, testInfo) => {
    await openTheDoor(page, server.origin, "09:05");
    const school = await schoolOf(page);
    // The service worker has the page and the app's code once it controls the page.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await screenshot(page, testInfo, "late-door-synced");

    await goOffline(context);
    await server.stop();

    const first = await logLate(page, "10A", 0, "Transport");
    await expect(page.getByTestId("saved")).toContainText("L: late before the morning register closed, 25 minutes late. No sanction.");
    await expectWaiting(page, 1);

    await setClock(page, "09:20");
    const second = await choosePupil(page, "10A", 1);
    await expect(page.getByTestId("decision")).toContainText("U: late after the morning register closed");
    await expect(page.getByTestId("decision")).toContainText("Same-day detention");
    await page.getByRole("button", { name: "Other" }).click();
    await page.getByLabel("What happened? (needed for Other)").fill("Dentist, no letter");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect(page.getByTestId("saved")).toContainText(`Saved: ${second}.`);
    await expect(page.getByTestId("saved")).toContainText("Sanction: Same-day detention");

    // A hardware keyboard: type, Enter for the first pupil found, 2 for Medical.
    const search = page.getByLabel("Find the pupil: any part of the name, or the form");
    await search.fill("10A");
    const thirdName = (await page.getByRole("list", { name: "Pupils found" }).getByRole("button").nth(2).locator(".name").innerText()).trim();
    await search.press("ArrowDown");
    await search.press("ArrowDown");
    await search.press("Enter");
    await expect(page.getByRole("heading", { name: thirdName })).toBeVisible();
    await page.keyboard.press("2");
    await expect(page.getByTestId("saved")).toContainText(`Saved: ${thirdName}.`);

    // A mistake, undone at once: it never leaves the tablet.
    const mistake = await logLate(page, "10A", 3, "Overslept");
    await expectWaiting(page, 4);
    await page.getByTestId("saved").getByRole("button", { name: "Undo" }).click();
    await expectWaiting(page, 3);

    await expect(page.getByTestId("door-counts")).toContainText("3 late today: 1 L, 2 U.");
    await screenshot(page, testInfo, "late-door-offline");

    // Reload with the server down: the page comes from the service worker, the arrivals from
    // the tablet's storage.
    await page.reload();
    await hydrated(page);
    await expectWaiting(page, 3);
    const rows = page.getByTestId("door-arrivals").locator("tbody tr");
    await expect(rows).toHaveCount(3);
    await expect(rows.filter({ hasText: "Waiting to sync" })).toHaveCount(3);
    await expect(rows.filter({ hasText: "Dentist, no letter" })).toHaveCount(1);

    // The network comes back.
    await server.start();
    await context.setOffline(false);
    await expectWaiting(page, 0);
    await expect(rows.filter({ hasText: "Waiting to sync" })).toHaveCount(0);
    await screenshot(page, testInfo, "late-door-back-online");

    const counts = await onServer(page, server.origin, school, [first, second, thirdName, mistake]);
    expect(counts).toEqual({ [first]: 1, [second]: 1, [thirdName]: 1, [mistake]: 0 });
  });

  test("a push whose answer is lost is applied once when the tablet sends it again", async ({
    page,
    context,
  }) => {
    await openTheDoor(page, baseURL, "09:20");
    const school = await schoolOf(page);

    // The server applies the push, then the answer is lost on the way back.
    let lost = 0;
    await page.route("**/api/sync/push", async (route) => {
      if (lost === 0) {
        lost += 1;
        await route.fetch();
        await route.abort("connectionreset");
      } else {
        await route.continue();
      }
    });
    const name = await logLate(page, "10B", 0, "Caring");
    await expect(page.getByTestId("sync-trouble")).toContainText("The server cannot be reached.");
    await expectWaiting(page, 1);
    expect(lost).toBe(1);

    // Sent again: the server answers "duplicate", and the tablet lets it go.
    await page.getByRole("button", { name: "Sync now" }).click();
    await expectWaiting(page, 0);
    await expect(page.getByTestId("sync-trouble")).toHaveCount(0);
    expect(await onServer(page, baseURL, school, [name])).toEqual({ [name]: 1 });
  });

  test("the server stops in the middle of a sync and starts again", async ({ page, context }, testInfo) => {
    await openTheDoor(page, server.origin, "09:05");
    const school = await schoolOf(page);

    await goOffline(context);
    const names = [await logLate(page, "11A", 0, "Transport"), await logLate(page, "11A", 1, "Medical")];
    await expectWaiting(page, 2);

    // The push reaches the server, which applies it and then dies before answering.
    await page.route("**/api/sync/push", async (route) => {
      await route.fetch();
      await server.stop();
      await route.abort("connectionreset");
    });
    await context.setOffline(false);
    await expect(page.getByTestId("sync-trouble")).toContainText("The server cannot be reached.");
    await expectWaiting(page, 2);
    await page.unrouteAll({ behavior: "wait" });

    // While it is down, sending again fails and the arrivals stay.
    await page.getByRole("button", { name: "Sync now" }).click();
    await expect(page.getByRole("button", { name: "Sync now" })).toBeEnabled();
    await expectWaiting(page, 2);
    await screenshot(page, testInfo, "late-door-server-down");

    await server.start();
    await page.getByRole("button", { name: "Sync now" }).click();
    await expectWaiting(page, 0);
    expect(await onServer(page, server.origin, school, names)).toEqual({ [names[0]]: 1, [names[1]]: 1 });
  });

  test("two tablets log the same pupil: the second is refused and kept for a person to see", async ({
    page,
    context,
    browser,
  }, testInfo) => {
    await openTheDoor(page, baseURL, "09:05");
    const school = await schoolOf(page);
    const other = await browser.newContext({
      baseURL,
      locale: "en-GB",
      timezoneId: "Europe/London",
      viewport: { width: 820, height: 1180 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const second = await other.newPage();
    await openTheDoor(second, baseURL, "09:06");

    // Both gates are offline when the pupil arrives, and both log them.
    await goOffline(context);
    await goOffline(other);
    const name = await logLate(page, "11B", 0, "Transport");
    expect(await logLate(second, "11B", 0, "Overslept")).toBe(name);

    await context.setOffline(false);
    await expectWaiting(page, 0);
    await other.setOffline(false);
    await expectWaiting(second, 0);

    const refused = second.getByTestId("rejected");
    await expect(refused).toContainText(name);
    await expect(refused).toContainText("Already logged late at 09:05");
    await expect(second.getByTestId("not-saved")).toContainText(`The server did not accept ${name}'s arrival`);
    await screenshot(second, testInfo, "late-door-refused");
    expect(await onServer(page, baseURL, school, [name])).toEqual({ [name]: 1 });

    await refused.getByRole("button", { name: "Dismiss" }).click();
    await expect(second.getByTestId("rejected")).toHaveCount(0);
    await second.reload();
    await hydrated(second);
    await expect(second.getByTestId("roll-size")).toBeVisible();
    await expect(second.getByTestId("rejected")).toHaveCount(0);
    await other.close();
  });

  test("a sign-in that ended while offline keeps the arrivals until the person signs in again", async ({
    page,
    context,
  }) => {
    await openTheDoor(page, baseURL, "09:20");
    const school = await schoolOf(page);
    await goOffline(context);
    const name = await logLate(page, "9A", 0, "Transport");
    await context.clearCookies();
    await context.setOffline(false);

    await expect(page.getByTestId("signed-out")).toContainText("The arrival waiting is kept on this tablet");
    await expectWaiting(page, 1);

    await page.getByTestId("signed-out").getByRole("link", { name: "sign in again" }).click();
    await hydrated(page);
    await page.getByLabel("Email").fill(DOOR);
    await page.getByLabel("Password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/late-door/);
    await expectWaiting(page, 0);
    await expect(page.getByTestId("signed-out")).toHaveCount(0);
    expect(await onServer(page, baseURL, school, [name])).toEqual({ [name]: 1 });
  });

  test("arrivals waiting on a tablet survive closing the browser", async ({}, testInfo) => {
    // A browser with a profile on disk, as a tablet's is, closed and opened again.
    const profile = mkdtempSync(join(tmpdir(), "rollcall-tablet-"));
    const launch = () =>
      chromium.launchPersistentContext(profile, {
        ...testInfo.project.use.launchOptions,
        baseURL,
        locale: "en-GB",
        timezoneId: "Europe/London",
        viewport: { width: 820, height: 1180 },
        isMobile: true,
        hasTouch: true,
      });
    try {
      let browser = await launch();
      let page = browser.pages()[0] ?? (await browser.newPage());
      await openTheDoor(page, baseURL, "09:20");
      const school = await schoolOf(page);
      await browser.setOffline(true);
      const name = await logLate(page, "7A", 0, "Medical");
      await expectWaiting(page, 1);
      await browser.close();

      browser = await launch();
      page = browser.pages()[0] ?? (await browser.newPage());
      await page.clock.setFixedTime(londonInstant(day!, "09:21"));
      await page.goto("/late-door");
      await hydrated(page);
      await expectWaiting(page, 0);
      expect(await onServer(page, baseURL, school, [name])).toEqual({ [name]: 1 });
      await browser.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });

  test("a full storage says so and saves nothing, rather than losing an arrival", async ({ page, context }) => {
    await openTheDoor(page, baseURL, "09:05");
    await goOffline(context);
    // Fill the site's storage to the last byte, as years of other use might.
    await page.evaluate(() => {
      let index = 0;
      for (const size of [256 * 1024, 16 * 1024, 1024, 64, 1]) {
        const block = "x".repeat(size);
        for (;;) {
          try {
            localStorage.setItem(`filler.${index++}`, block);
          } catch {
            break;
          }
        }
      }
    });
    const name = await choosePupil(page, "9B", 0);
    await page.getByRole("button", { name: "Transport" }).click();
    await expect(page.getByTestId("not-saved")).toContainText(`${name} was NOT saved`);
    await expect(page.getByTestId("storage-full")).toBeVisible();
    await expectWaiting(page, 0);

    // Room again: the next tap is saved.
    await page.evaluate(() => {
      for (const key of Object.keys(localStorage)) if (key.startsWith("filler.")) localStorage.removeItem(key);
    });
    await logLate(page, "9B", 0, "Transport");
    await expect(page.getByTestId("storage-full")).toHaveCount(0);
    await expectWaiting(page, 1);
  });
});
