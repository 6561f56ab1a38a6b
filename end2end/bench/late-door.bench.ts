import { expect, Page, test } from "@playwright/test";
import { hydrated, signIn } from "../tests/helpers";

// How the late door feels on a tablet holding a 2,000-pupil roll (issue 6's targets: under
// 5 ms per keystroke to find a pupil, under 50 ms from the tap on a reason to "saved").
//
// Each figure is measured inside the page, from the event to the next task after it, with
// layout forced, so it covers Leptos's update of the page and the browser's layout but not the
// paint. The roll and a policy that makes any time of day late are written into the tablet's
// storage, and the tablet is offline, so no sync replaces them.

const FIRST = ["Amira", "Oliver", "Grace", "Mohammed", "Ava", "Noah", "Isla", "Yusuf", "Freya", "Zoë",
  "Leo", "Maya", "Theo", "Aisha", "Harry", "Lily", "Ibrahim", "Ella", "Jack", "Sofia"];
const LAST = ["Khan", "Smith", "Okafor", "Jones", "Patel", "Williams", "Brown", "Ahmed", "Taylor",
  "Nowak", "Evans", "Wilson", "Hussain", "Davies", "Kowalski", "Thomas", "Begum", "Roberts",
  "Mensah", "Walker", "Ali", "Wright", "Green", "Hall", "Lewis", "Clarke", "Murphy", "Chen",
  "Singh", "Adeyemi", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Wood", "Harris", "Martin",
  "Jackson", "White", "Cooper", "King", "Baker", "Ward", "Morris", "Kelly", "Scott", "Price",
  "Bennett", "Gray", "Cox", "Reid", "Shaw", "Lloyd", "Mills", "Rose", "Fox", "Hunt", "Lord", "Dean",
  "Webb", "Day", "Lane", "Hart", "Bell", "Page", "Ross", "Cole", "West", "Lamb", "Barr", "Bond",
  "Dixon", "Ellis", "Ford", "Grant", "Hayes", "Holt", "Kerr", "Knox", "Lowe", "Marsh", "Nash",
  "Owen", "Parr", "Quinn", "Rowe", "Sims", "Tate", "Vale", "Wade", "York", "Zane", "Abbott",
  "Boyle", "Carr", "Dunn", "Eden", "Finch", "Gill"];

function roll(size: number) {
  const pupils = [];
  for (let index = 0; index < size; index++) {
    const year = 7 + (index % 5);
    const form = `${year}${"ABCDEFGH"[Math.floor(index / 5) % 8]}`;
    pupils.push({
      id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
      first_name: FIRST[index % FIRST.length],
      last_name: `${LAST[Math.floor(index / FIRST.length) % LAST.length]}${index >= FIRST.length * LAST.length ? "-Hale" : ""}`,
      form,
      year: `Year ${year}`,
    });
  }
  return pupils;
}

function summary(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { samples: sorted.length, median_ms: +at(0.5).toFixed(2), p95_ms: +at(0.95).toFixed(2), max_ms: +sorted[sorted.length - 1].toFixed(2) };
}

async function tabletWithRoll(page: Page, size: number) {
  await signIn(page, "door@oakfield.example", /\/late-door/);
  await expect(page.getByTestId("sync-badge")).toContainText("Last synced");
  await page.context().setOffline(true);
  await page.evaluate((pupils) => {
    const school = Object.keys(localStorage)
      .find((key) => /^rollcall\.device\.[0-9a-f-]{36}$/.test(key))!
      .slice("rollcall.device.".length);
    localStorage.setItem(`rollcall.late_door.${school}.roll`, JSON.stringify(pupils));
    const cache = JSON.parse(localStorage.getItem(`rollcall.late_door.${school}`)!);
    cache.policy.am_register_opens = "00:00:00";
    cache.policy.pm_register_opens = "23:59:00";
    localStorage.setItem(`rollcall.late_door.${school}`, JSON.stringify(cache));
  }, roll(size));
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("roll-size")).toContainText(`${size} pupils`);
}

test("late door: finding a pupil among 2,000 and tapping a reason", async ({ page }) => {
  await tabletWithRoll(page, 2000);

  const keystrokes: number[] = await page.evaluate(async () => {
    const input = document.getElementById("late-search") as HTMLInputElement;
    const nextTask = () =>
      new Promise<void>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve();
        channel.port2.postMessage(0);
      });
    const type = async (text: string) => {
      const started = performance.now();
      input.value = text;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      await nextTask();
      document.body.getBoundingClientRect();
      return performance.now() - started;
    };
    const times: number[] = [];
    const queries = ["amira khan", "oliver", "zoe", "9c", "mohammed begum", "kowalski", "ella 9", "a", "freya"];
    for (let round = 0; round < 5; round++) {
      for (const query of queries) {
        await type("");
        for (let length = 1; length <= query.length; length++) times.push(await type(query.slice(0, length)));
        if (!document.querySelector("ul.found button")) throw new Error(`nothing found for ${query}`);
      }
    }
    return times;
  });

  const taps: number[] = await page.evaluate(async () => {
    const input = () => document.getElementById("late-search") as HTMLInputElement;
    const nextTask = () =>
      new Promise<void>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve();
        channel.port2.postMessage(0);
      });
    const times: number[] = [];
    for (let pupil = 0; pupil < 30; pupil++) {
      input().value = `${pupil % 5 + 7}${"ABCDEFGH"[pupil % 8]}`;
      input().dispatchEvent(new Event("input", { bubbles: true }));
      await nextTask();
      const found = [...document.querySelectorAll("ul.found button")] as HTMLButtonElement[];
      const choice = found[Math.floor(pupil / 8) % found.length];
      const name = choice.querySelector(".name")!.textContent!.trim();
      choice.click();
      await nextTask();
      const transport = [...document.querySelectorAll("button.reason")].find((button) =>
        button.textContent!.includes("Transport"),
      ) as HTMLButtonElement;
      const started = performance.now();
      transport.click();
      await nextTask();
      document.body.getBoundingClientRect();
      const saved = document.querySelector('[data-testid="saved"]')?.textContent ?? "";
      const elapsed = performance.now() - started;
      if (saved.includes(`Saved: ${name}.`)) times.push(elapsed);
      else if (!document.querySelector('[data-testid="not-saved"]')) throw new Error(`no answer for ${name}: ${saved}`);
    }
    return times;
  });

  const figures = {
    roll: 2000,
    keystroke: summary(keystrokes),
    tap_to_saved: summary(taps),
  };
  console.log(`BENCH late-door ${JSON.stringify(figures)}`);
  expect(taps.length).toBeGreaterThan(10);
});
