// The page's cost on a big run: a synthesized 30-board, 10-minute run (3 servers, 27 clients; every line printed with
// the firmware's own formatter from the catalogue's entries, and recognised by the lab's classify() through RunFeed,
// so the events are in the real format), then: reading it back, building the model, drawing each part (in Node),
// the size of the --json file and of the report, and, when /usr/bin/chromium is there, the report opened in it
// (first draw, and a replay step). Figures only, nothing asserted.
//
//   node --import ./host-sim/register.mjs bench/ui-render.ts [--quick] [--out DIR]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { EV, type LogEvent } from "linklab/events";
import { formatLine, type Level } from "linklab/log";
import { ANCHORS } from "../host-sim/lab/faults.ts";
import { summarize } from "../host-sim/lab/summary.ts";
import { buildModel, KINDS } from "../host-sim/ui/model.ts";
import { reportHtml } from "../host-sim/ui/report.ts";
import { headerOf, parseRecord, recordOf, RunFeed } from "../host-sim/ui/record.ts";
import { renderBoards, renderDiagram, renderLog, renderRtt, renderSummary, renderTimeline, type View } from "../host-sim/ui/render.ts";
import { isMain, round, standalone, stats, table, type BenchOptions, type BenchResult } from "./support.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

interface Item {
  t: number;
  board: string;
  text?: string;
  lab?: { name: string; args: string[]; text: string };
  boot?: boolean;
  exit?: boolean;
}

/** A deterministic pseudo-random source (the run is the same every time). */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** A synthesized run of `servers` servers and `clients` clients over `minutes`, with Wi-Fi drops and a power cut. */
export function synthesize(servers: number, clients: number, minutes: number): RunFeed {
  const rnd = random(7);
  const endMs = minutes * 60_000;
  const items: Item[] = [];
  const at = (n: number): string => `127.0.60.${2 + n}`;
  const serverIds = Array.from({ length: servers }, (_, i) => `s${i + 1}`);
  const clientIds = Array.from({ length: clients }, (_, i) => `c${i + 1}`);
  const boards = [...serverIds.map((id, i) => ({ id, role: "server", addresses: [at(i)] })), ...clientIds.map((id, i) => ({ id, role: "client", addresses: [at(servers + i)] }))];
  const line = (t: number, board: string, level: Level, entry: LogEvent, fields: Record<string, string | number> = {}, change?: string): void => {
    items.push({ t, board, text: formatLine(t + 2000, level, entry.tag, change ? `${entry.message} ${change}` : entry.message, fields) });
  };
  const state = (t: number, board: string, entry: LogEvent, change: string, fields: Record<string, string | number>): void => line(t, board, "I", entry, fields, change);
  const boot = (t: number, board: string, role: string, address: string): void => {
    items.push({ t, board, boot: true, text: formatLine(t + 2000, "I", EV.main.booting.tag, EV.main.booting.message, { id: board, role }) });
    line(t, board, "I", EV.main.booting, { id: board, role });
    line(t + 1, board, "I", EV.wifi.noSsid, { ip: address });
    state(t + 2, board, EV.wifi.state, "idle->up", { reason: "no-ssid" });
  };
  const sessionNo = new Map<string, number>();
  /** A client connects to its server: SYN, accept, SYN/ACK, HELLO, WELCOME, as both sides log them. */
  const connect = (t: number, c: string, ci: number, s: string, si: number, from: string): void => {
    const n = (sessionNo.get(s) ?? 0) + 1;
    sessionNo.set(s, n);
    const peer = `${at(servers + ci)}:${40000 + n}`;
    state(t, c, EV.client.state, `${from}->connecting`, { reason: "backoff", server: `${at(si)}:8420`, attempt: 1 });
    line(t, c, "I", EV.client.connecting, { server: `${at(si)}:8420` });
    line(t + 2, s, "I", EV.server.accepted, { session: n, proto: "tcp", local: `${at(si)}:8420`, peer, sessions: 1 });
    line(t + 3, c, "I", EV.client.connected, { server: `${at(si)}:8420`, connectMs: 3 });
    state(t + 3, c, EV.client.state, "connecting->handshaking", { reason: "tcp-connected" });
    state(t + 5, s, EV.server.sessionState, "handshaking->online", { reason: "hello", handshakeMs: 2, session: n, client: c, peer });
    line(t + 5, s, "I", EV.server.handshakeDone, { session: n, client: c, peer, online: 1 });
    state(t + 6, c, EV.client.state, "handshaking->online", { reason: "welcome", server: s, session: n, handshakeMs: 3 });
  };
  const down = new Map<string, [number, number]>();
  // Faults: a Wi-Fi drop of one client every minute (5 s), and the first server's power cut at half time (10 s).
  for (let k = 0; k * 60_000 + 30_000 < endMs; k++) {
    const ci = (k * 7) % clients;
    const from = k * 60_000 + 30_000;
    down.set(clientIds[ci] + ":" + k, [from, from + 5000]);
    items.push({ t: from, board: "lab", lab: { name: "wifi-drop", args: [clientIds[ci]], text: `${clientIds[ci]}: Wi-Fi drops for 5s (its traffic stops both ways)` } });
    items.push({ t: from + 5000, board: "lab", lab: { name: "wifi-restore", args: [clientIds[ci]], text: `${clientIds[ci]}: Wi-Fi is back` } });
  }
  const cut = endMs / 2;
  items.push({ t: cut, board: "lab", lab: { name: "power-off", args: ["s1"], text: "s1: power cut (the process is frozen: no FIN, no RST, only silence)" } });
  items.push({ t: cut + 10_000, board: "lab", lab: { name: "power-on", args: ["s1"], text: "s1: power is back, it boots again" } });
  items.push({ t: cut + 10_010, board: "s1", exit: true });

  serverIds.forEach((s, si) => {
    const start = (t: number): void => {
      boot(t, s, "server", at(si));
      state(t + 3, s, EV.server.state, "stopped->listening", { reason: "start", local: `${at(si)}:8420`, maxClients: 16 });
    };
    start(-200 + si);
    start(cut + 10_200);
    for (let t = 0, seq = 0; t < endMs; t += 1000, seq++) {
      if (si === 0 && t >= cut && t < cut + 10_200) continue;
      line(t + si, s, seq % 10 ? "D" : "I", EV.beacon.sent, { seq, to: "255.255.255.255:8421", bytes: 73 });
    }
  });
  clientIds.forEach((c, ci) => {
    const si = ci % servers;
    const s = serverIds[si];
    boot(-150 + ci, c, "client", at(servers + ci));
    state(-140 + ci, c, EV.client.state, "idle->discovering", { reason: "link-up" });
    let online = false;
    let seq = 0;
    let pending = 0;
    for (let t = 900 + ci * 3; t < endMs; t += 1000) {
      const drop = [...down.entries()].find(([key, [a, b]]) => key.startsWith(c + ":") && t >= a && t < b + 1000);
      const powerCut = si === 0 && t >= cut && t < cut + 12_000;
      if (!online && !drop && !(si === 0 && t >= cut && t < cut + 10_500)) {
        line(t, c, "I", EV.beacon.heard, { server: s, ip: at(si), port: 8420, seq: Math.floor(t / 1000), from: at(si) });
        connect(t + 5, c, ci, s, si, seq === 0 ? "discovering" : "waiting");
        online = true;
        continue;
      }
      if (online && drop && t >= drop[1][0]) {
        line(drop[1][0] + 1, c, "W", EV.client.serverGone, { state: "online" });
        state(drop[1][0] + 1, c, EV.client.state, "online->lost", { reason: "connection-ended" });
        state(drop[1][0] + 2, c, EV.client.state, "lost->waiting", { reason: "connection-ended" });
        line(drop[1][0] + 2, c, "I", EV.client.backoff, { delayMs: 600, attempt: 1, capMs: 4000 });
        line(drop[1][0] + 3, c, "W", EV.wifi.disconnected, { ssid: '""' });
        state(drop[1][0] + 3, c, EV.wifi.state, "up->down", { reason: "disconnect" });
        line(drop[1][0] + 3100, s, "W", EV.server.peerSilent, { session: sessionNo.get(s) ?? 1, client: c, peer: at(servers + ci), silentMs: 3100, timeoutMs: 3000 });
        state(drop[1][1] + 2, c, EV.wifi.state, "down->up", { reason: "gotIP" });
        online = false;
        continue;
      }
      if (online && powerCut && t >= cut + 3000) {
        line(t, c, "W", EV.client.serverSilent, { silentMs: 3050, timeoutMs: 3000 });
        state(t, c, EV.client.state, "online->lost", { reason: "silent", silentMs: 3050 });
        state(t + 1, c, EV.client.state, "lost->waiting", { reason: "silent" });
        line(t + 1, c, "I", EV.client.backoff, { delayMs: 2000 + Math.round(rnd() * 2000), attempt: 1, capMs: 4000 });
        online = false;
        continue;
      }
      if (!online || powerCut) continue;
      line(t, c, seq % 10 ? "D" : "I", EV.client.echoReply, { seq, rttMs: 1 + Math.round(rnd() * rnd() * 40), text: `"from=${c} n=${seq + 1}"` });
      line(t + 10, c, "D", EV.beacon.heard, { server: s, ip: at(si), port: 8420, seq: Math.floor(t / 1000), from: at(si) });
      seq++;
      if (++pending % 5 === 0) {
        line(t + 400, s, "D", EV.server.pingSent, { session: sessionNo.get(s) ?? 1, client: c, peer: at(servers + ci), seq: pending / 5, silentMs: 1200 });
        line(t + 401, s, "D", EV.server.pongReceived, { session: sessionNo.get(s) ?? 1, client: c, peer: at(servers + ci), seq: pending / 5 });
      }
    }
  });

  const feed = new RunFeed(
    headerOf(
      {
        file: "bench/ui-render (synthesized)",
        title: `synthesized: ${servers} servers, ${clients} clients, ${minutes} minutes`,
        notes: [],
        durationMs: endMs,
        expectations: clientIds.slice(0, 10).map((c, i) => ({ board: c, negated: false, event: { name: "online", args: [] }, window: { kind: "by", toMs: 5000 }, text: `${c} online by 5s`, line: 10 + i })),
      },
      boards,
    ),
  );
  items.sort((a, b) => a.t - b.t);
  feed.labEvent(0, "start", [], "lab clock starts");
  for (const item of items) {
    if (item.lab) feed.labEvent(item.t, item.lab.name, item.lab.args, item.lab.text);
    else if (item.boot) feed.push({ t: item.t, board: item.board, name: "boot", args: [], text: item.text });
    else if (item.exit) feed.push({ t: item.t, board: item.board, name: "exit", args: [], text: "signal SIGKILL" });
    else if (item.text) feed.boardLine(item.board, item.t, item.text);
  }
  feed.labEvent(endMs, "end", [], `end of scenario after ${endMs / 1000}s`);
  feed.end();
  return feed;
}

function time<T>(run: () => T, repeat: number): { value: T; ms: number[] } {
  let value!: T;
  const ms: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    value = run();
    ms.push(performance.now() - t0);
  }
  return { value, ms };
}

/** What the page says its last draw cost (host-sim/ui/page/client.ts sets window.linklab); run in the page. */
type Draw = { draws: number; modelMs: number; drawMs: number };
const lastDraw = (): Draw => (globalThis as unknown as { linklab?: Draw }).linklab ?? { draws: 0, modelMs: 0, drawMs: 0 };
const drawnAtLeast = (n: number): boolean => ((globalThis as unknown as { linklab?: Draw }).linklab?.draws ?? 0) >= n;

async function inChromium(html: string, progress: (line: string) => void): Promise<Record<string, number> | string> {
  if (!existsSync(CHROMIUM)) return `no ${CHROMIUM} (Debian: apt-get install chromium)`;
  const { chromium } = await import("playwright-core");
  const dir = mkdtempSync(join(tmpdir(), "linklab-ui-bench-"));
  const context = await chromium.launchPersistentContext(join(dir, "profile"), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
  try {
    const file = join(dir, "run.html");
    writeFileSync(file, html);
    const page = context.pages()[0] ?? (await context.newPage());
    const t0 = performance.now();
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(drawnAtLeast, 1, { timeout: 120_000 });
    const loadMs = performance.now() - t0;
    const first = await page.evaluate(lastDraw);
    progress(`chromium: first draw after ${Math.round(loadMs)} ms`);
    const steps: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = (await page.evaluate(lastDraw)).draws + 1;
      await page.locator(i === 0 ? "#start" : "#next").click();
      await page.waitForFunction(drawnAtLeast, before, { timeout: 30_000 });
      steps.push((await page.evaluate(lastDraw)).drawMs);
    }
    const before = (await page.evaluate(lastDraw)).draws + 1;
    await page.locator("#end").click();
    await page.waitForFunction(drawnAtLeast, before, { timeout: 30_000 });
    const atEnd = (await page.evaluate(lastDraw)).drawMs;
    return { loadMs, modelMs: first.modelMs, firstDrawMs: first.drawMs, stepDrawMsP50: stats(steps).p50, stepDrawMsMax: stats(steps).max, endDrawMs: atEnd };
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function uiRender(options: BenchOptions): Promise<BenchResult> {
  const [servers, clients, minutes] = options.quick ? [2, 8, 1] : [3, 27, 10];
  const repeat = options.quick ? 2 : 5;
  options.progress(`synthesizing ${servers + clients} boards, ${minutes} min`);
  const feed = synthesize(servers, clients, minutes);
  const events = [...feed.events];
  const lines = events.filter((e) => e.name === "line").length;
  const record = { header: feed.header, events, ended: true, problems: [] as string[] };
  const scenario = { ...feed.header, firstAddress: "", boards: [], timeline: [] };
  const summary = summarize(scenario, feed.header.boards.map((b, index) => ({ ...b, index, config: {}, boots: 1 })), events, []);
  const jsonText = JSON.stringify({ ...summary, run: recordOf({ scenario, boards: feed.header.boards, events }) }, null, 2) + "\n";
  const parse = time(() => parseRecord(jsonText, "run.json", Object.keys(ANCHORS)), repeat);
  const model = time(() => buildModel(record), repeat);
  const m = model.value;
  const all: View = { cursor: Infinity, kinds: new Set(KINDS), boards: new Set() };
  const biggest = [...m.connections].sort((a, b) => b.elements.length - a.elements.length)[0];
  const parts: [string, () => string][] = [
    ["boards", () => renderBoards(m, all)],
    ["timeline", () => renderTimeline(m, all)],
    ["round trips", () => renderRtt(m, all)],
    [`diagram (${biggest.id}, ${biggest.elements.length} elements)`, () => renderDiagram(biggest, m, all, events)],
    ["summary", () => renderSummary(m)],
    ["log (last 400 lines)", () => renderLog(m, all, events, 400)],
    ["log (all lines)", () => renderLog(m, all, events, Infinity)],
  ];
  const drawn = parts.map(([name, run]) => {
    const r = time(run, repeat);
    return { name, ms: stats(r.ms).p50, kib: r.value.length / 1024 };
  });
  options.progress("report");
  const html = await reportHtml(record);
  options.progress("chromium");
  const browser = await inChromium(html, options.progress);

  const ms = (values: number[]): number => round(stats(values).p50, 1);
  const rows: (string | number)[][] = [
    ["read the --json file (parseRecord)", ms(parse.ms), round(jsonText.length / 1048576, 2)],
    ["build the model (buildModel)", ms(model.ms), "-"],
    ...drawn.map((d) => [`draw: ${d.name}`, round(d.ms, 1), round(d.kib / 1024, 2)]),
    ["report file (linklab report)", "-", round(html.length / 1048576, 2)],
  ];
  const tables = [table(`Node ${process.version}: ${servers + clients} boards, ${minutes} min, ${events.length} events (${lines} log lines), ${m.connections.length} connections, ${m.bands.length} fault bands; median of ${repeat}`, ["step", "ms", "MiB"], rows)];
  if (typeof browser === "string") tables.push(`chromium: skipped: ${browser}`);
  else
    tables.push(
      table("the report in headless chromium (playwright-core, file://)", ["measure", "ms"], [
        ["open to first draw (wall)", round(browser.loadMs, 0)],
        ["  of which: build the model in the page", round(browser.modelMs, 0)],
        ["  of which: first draw (model included)", round(browser.firstDrawMs, 0)],
        ["replay step: redraw, median of 5", round(browser.stepDrawMsP50, 1)],
        ["replay step: redraw, worst of 5", round(browser.stepDrawMsMax, 1)],
        ["jump to the end: redraw", round(browser.endDrawMs, 1)],
      ]),
    );
  const notes = [
    "the run is synthesized (bench/ui-render.ts synthesize()): lines printed with the firmware's formatLine from modules/events.ts entries and recognised by host-sim/lab/events.ts classify(), as a live lab records them",
    "a replay step or a filter redraws without rebuilding the model; a live update rebuilds it (at most once per animation frame)",
  ];
  return {
    name: "ui-render",
    tables,
    notes,
    data: { boards: servers + clients, minutes, events: events.length, lines, connections: m.connections.length, bands: m.bands.length, jsonBytes: jsonText.length, reportBytes: html.length, node: { parseMs: ms(parse.ms), modelMs: ms(model.ms), draw: drawn }, chromium: browser },
  };
}

if (isMain(import.meta.url)) {
  await standalone("ui-render", uiRender);
  process.exit(0);
}
