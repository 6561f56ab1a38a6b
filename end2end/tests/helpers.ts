import { expect, Page, TestInfo } from "@playwright/test";
import { inflateRawSync } from "zlib";

/** Keeps a full-page screenshot of what the person sees, per viewport, as a test artifact. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({
    path: `screenshots/${testInfo.project.name}/${name}.png`,
    fullPage: true,
  });
}

/** Waits until the page has hydrated, so that clicks reach Leptos's handlers. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__rollcallHydrated === true);
}

/** Every demo account's password (see the README). */
export const DEMO_PASSWORD = "rollcall-demo";

/** Signs in through the sign-in page, as a person would, and waits for the landing page. */
export async function signIn(page: Page, email: string, landing: string | RegExp) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(landing);
  await hydrated(page);
}

/** Oakfield's id and two school days with marks in its last month, from its own marks export. */
export async function schoolDays(page: Page): Promise<{ school: string; days: string[] }> {
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

/** The files of a zip archive (an .xlsx is one) as text, read with Node's own inflate: enough
 *  for a workbook's XML, so the test needs no package of its own. */
export function unzip(buffer: Buffer): Map<string, string> {
  const end = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBeGreaterThan(0);
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
