// The page in a real browser: Debian's chromium (/usr/bin/chromium, installed by .ci/run) driven headless by
// playwright-core; no browser is downloaded. It runs a short scenario with `linklab lab --ui`, checks the live page
// shows the handshake (SYN, HELLO, WELCOME), a PING/PONG and a fault band with its reaction, then replays the run's
// --json file (steps to the fault), opens `linklab report`'s file from disk with the network off, and sees the page
// say so when its live connection goes away. Skipped, with one line saying why, without /usr/bin/chromium.
// LINKLAB_SCREENSHOTS=1 also writes docs/images/ui-*.png from this run (the README shows them).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { linklab, repoDir, type Child } from "../support/child.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A short run: a server and two clients that find it; c1 is quiet (so it PINGs), loses Wi-Fi for 2 s and comes back. */
const SCENARIO = `title ui check: one server, one client, one Wi-Fi drop
network 127.0.93.2
duration 8s
board server role=server beaconMs=1000
board c1 role=client server=auto echoMs=0
board c2 role=client server=auto echoMs=500
at 3s wifi-drop c1 2
expect c1 online by 3s
expect c1 lost within 1s of wifi-drop c1
expect c1 online within 2s of wifi-restore c1
`;

const LIVE_MS = 40_000;

describe("the page in a real browser (chromium, playwright-core)", function () {
  this.timeout(120_000);
  let dir = "";
  let context: BrowserContext | undefined;
  let lab: Child | undefined;
  let page: Page;
  const shots = process.env.LINKLAB_SCREENSHOTS === "1" ? join(repoDir, "docs", "images") : undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    skipped: no ${CHROMIUM} (Debian: apt-get install chromium); the page is not checked in a browser`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), "linklab-ui-"));
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    if (shots) mkdirSync(shots, { recursive: true });
  });

  after(async () => {
    lab?.stop();
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const diagramText = (text: string) => page.locator("#diagram svg text", { hasText: text }).first();

  it("shows a live run: boards, the handshake, a PING/PONG, and a fault band with its reaction", async () => {
    const file = join(dir, "ui.lab");
    writeFileSync(file, SCENARIO);
    lab = linklab(["lab", file, "--ui", "--json", join(dir, "run.json")]);
    const announced = await lab.waitForLine(/the live page is at http:\/\/127\.0\.0\.1:\d+\//, 30_000);
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(announced)![0];
    await page.goto(url);
    await page.locator("#mode", { hasText: "live" }).waitFor({ timeout: 10_000 });
    // The handshake as both boards log it, then the heartbeat.
    for (const text of ["SYN", "SYN/ACK", "HELLO", "WELCOME"]) await diagramText(text).waitFor({ timeout: LIVE_MS });
    await diagramText("PING").waitFor({ timeout: LIVE_MS });
    await diagramText("PONG").waitFor({ timeout: LIVE_MS });
    assert.equal(await page.locator("#boards tr[data-board=c1] .state").textContent(), "online");
    // The fault: a band, its row, and c1's reaction linked to it.
    await page.locator("#diagram svg rect.band").first().waitFor({ timeout: LIVE_MS });
    await diagramText("Wi-Fi drops").waitFor({ timeout: LIVE_MS });
    await diagramText("← wifi-drop").waitFor({ timeout: LIVE_MS });
    await page.locator("#timeline .pin.pass").first().waitFor({ timeout: LIVE_MS });
    if (shots) await page.screenshot({ path: join(shots, "ui-live.png"), fullPage: false });
    // Clicking an arrow shows the log line it came from.
    await diagramText("SYN").click();
    await page.locator("#detail code", { hasText: "connecting (SYN sent)" }).waitFor({ timeout: 5000 });
    await lab.waitForLine(/the run has ended; the page at .* keeps it until Ctrl-C/, LIVE_MS);
    await page.locator("#mode", { hasText: "live run (ended)" }).waitFor({ timeout: 10_000 });
    const summary = await page.locator("#summary").textContent();
    assert.match(summary ?? "", /all 3 expectations passed/);
  });

  it("replays the run's --json file and steps to the fault", async () => {
    await page.locator("#open").setInputFiles(join(dir, "run.json"));
    await page.locator("#mode", { hasText: "replay of run.json" }).waitFor({ timeout: 10_000 });
    await page.locator("#start").click();
    await page.locator("#clock", { hasText: /^0\.00 s/ }).waitFor({ timeout: 5000 });
    assert.equal(await page.locator("#diagram svg text", { hasText: "Wi-Fi drops" }).count(), 0, "at the start, no fault yet");
    await page.locator("#faults").selectOption({ index: 1 });
    await diagramText("Wi-Fi drops").waitFor({ timeout: 5000 });
    const clock = (await page.locator("#clock").textContent()) ?? "";
    const at = Number(/^([\d.]+) s/.exec(clock)?.[1]);
    assert.ok(at >= 2.9 && at <= 3.6, `the cursor is at the fault (${clock})`);
    assert.equal(await page.locator("#diagram svg text", { hasText: "← wifi-drop" }).count(), 0, "its reaction comes after the cursor");
    await page.locator("#detail code", { hasText: "Wi-Fi drops" }).waitFor({ timeout: 5000 });
    for (let i = 0; i < 40 && (await page.locator("#diagram svg text", { hasText: "← wifi-drop" }).count()) === 0; i++) await page.locator("#next").click();
    await diagramText("← wifi-drop").waitFor({ timeout: 5000 });
    if (shots) await page.screenshot({ path: join(shots, "ui-replay.png"), fullPage: false });
  });

  it("says on the page that the live connection is gone when linklab stops", async () => {
    await page.locator("#end").click();
    await page.locator("#mode", { hasText: "live" }).waitFor({ timeout: 5000 });
    lab!.process.kill("SIGINT");
    assert.deepEqual(await lab!.waitForExit(15_000), { code: 0, signal: null });
    await page.locator("#banner", { hasText: /stopped serving it|connection to linklab was lost/ }).waitFor({ timeout: 10_000 });
    assert.ok(await page.locator("#diagram svg").count(), "the diagram is still there");
  });

  it("opens linklab report's file from disk, offline, with the diagram, the timeline, the summary and the log", async () => {
    const html = join(dir, "run.html");
    const report = linklab(["report", join(dir, "run.json"), "-o", html]);
    assert.deepEqual(await report.waitForExit(20_000), { code: 0, signal: null }, report.stderr.join("\n"));
    const requests: string[] = [];
    const offline = await context!.newPage();
    await context!.setOffline(true);
    offline.on("request", (request) => requests.push(request.url()));
    await offline.goto(pathToFileURL(html).href);
    await offline.locator("#mode", { hasText: "report" }).waitFor({ timeout: 10_000 });
    await offline.locator("#diagram svg text", { hasText: "HELLO" }).first().waitFor({ timeout: 10_000 });
    assert.ok(await offline.locator("#timeline svg rect.band").count(), "the timeline has the fault band");
    assert.match((await offline.locator("#summary").textContent()) ?? "", /PASS/);
    assert.ok(await offline.locator("#log .ln").count() > 20, "the log is there");
    assert.equal(await offline.locator("#banner").isVisible(), false, "no error on the page");
    assert.deepEqual(requests.filter((u) => !u.startsWith("file:")), [], "the report fetched nothing");
    if (shots) await offline.screenshot({ path: join(shots, "ui-report.png"), fullPage: true });
    await context!.setOffline(false);
    await offline.close();
  });
});
