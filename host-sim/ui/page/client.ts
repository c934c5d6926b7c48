// The page's script (bundled for the browser by host-sim/ui/page.ts): holds a run record, rebuilds the model from it
// (model.ts) and draws it (render.ts). Its data comes from one of: the live WebSocket of `linklab lab --ui` (the run
// as it happens), a run embedded in the page (a report), or a file opened from disk (replay). Controls: step, play,
// pause, speed, jump to a fault, filters by board and kind; clicking an element shows the log line it came from.
// Every failure shows a message on the page (the banner); the page is never left blank.

import { ANCHORS } from "../../lab/faults.ts";
import type { LabEvent } from "../../lab/events.ts";
import { buildModel, KINDS, type Kind, type Model } from "../model.ts";
import { LineExpander, parseRecord, RecordError, type RunHeader, type RunRecord, type StoredEvent } from "../record.ts";
import { esc, renderBoards, renderDiagram, renderLog, renderRtt, renderSummary, renderTimeline, shownConnections, type View } from "../render.ts";

// The few DOM pieces this script uses, declared here (the host type world has no DOM library).
interface DomEvent {
  target: unknown;
  clientX: number;
  key?: string;
}
interface DomElement {
  innerHTML: string;
  textContent: string | null;
  value: string;
  checked: boolean;
  hidden: boolean;
  className: string;
  dataset: Record<string, string | undefined>;
  files?: ArrayLike<{ name: string; text(): Promise<string> }> | null;
  addEventListener(type: string, listener: (event: DomEvent) => void): void;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  closest(selector: string): DomElement | null;
  scrollIntoView(options?: object): void;
  classList: { add(name: string): void; remove(name: string): void; toggle(name: string, on?: boolean): void };
  getBoundingClientRect(): { left: number; width: number };
  getAttribute(name: string): string | null;
}
interface Socket {
  readyState: number;
  onopen: (() => void) | null;
  onmessage: ((message: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
  send(text: string): void;
  close(): void;
}
interface Window {
  document: { getElementById(id: string): DomElement | null; body: DomElement };
  location: { host: string; protocol: string };
  WebSocket: new (url: string) => Socket;
  requestAnimationFrame(callback: (now: number) => void): number;
  setTimeout(callback: () => void, ms: number): number;
  performance: { now(): number };
  addEventListener(type: string, listener: (event: { message?: string }) => void): void;
  linklab?: unknown;
}
const win = globalThis as unknown as Window;
const $ = (id: string): DomElement => {
  const found = win.document.getElementById(id);
  if (!found) throw new Error(`page element #${id} missing`);
  return found;
};

type Source = { kind: "live" } | { kind: "file"; name: string } | { kind: "report" };

const state = {
  record: undefined as RunRecord | undefined,
  model: undefined as Model | undefined,
  /** The live run (kept while a file is shown, so "live" can come back to it). */
  live: undefined as RunRecord | undefined,
  source: { kind: "report" } as Source,
  /** Infinity: follow the end (live), else the replay cursor in lab ms. */
  cursor: Infinity,
  playing: false,
  speed: 1,
  kinds: new Set<Kind>(KINDS),
  boards: new Set<string>(),
  connection: undefined as string | undefined,
  logAll: false,
  dirty: true,
  scheduled: false,
  lastFrame: 0,
  selected: undefined as number | undefined,
  /** The last model build: when, and what it cost (ms). */
  builtAt: 0,
  modelMs: 0,
  waiting: false,
};

// --- messages on the page ---

function banner(text: string, level: "error" | "warn" | "info"): void {
  const box = $("banner");
  box.hidden = false;
  box.className = `banner ${level}`;
  box.innerHTML = esc(text).replace(/\n/g, "<br>");
}

function clearBanner(): void {
  $("banner").hidden = true;
}

win.addEventListener("error", (event) => banner(`page error: ${event.message ?? "unknown"} (the run data is kept; reload the page)`, "error"));

// --- the record ---

function setRecord(record: RunRecord, source: Source): void {
  state.record = record;
  state.source = source;
  state.dirty = true;
  state.connection = undefined;
  state.selected = undefined;
  state.cursor = source.kind === "live" ? Infinity : Infinity;
  if (record.problems.length) banner(record.problems.join("\n"), "warn");
  else clearBanner();
  buildFilters(record.header);
  schedule();
}

function openText(text: string, name: string): void {
  try {
    setRecord(parseRecord(text, name, Object.keys(ANCHORS)), { kind: "file", name });
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    banner(`${error.message}`, "error");
  }
}

// --- live ---

let socket: Socket | undefined;
let expander = new LineExpander();
let reconnects = 0;

function connect(): void {
  const url = `${win.location.protocol === "https:" ? "wss" : "ws"}://${win.location.host}/ws`;
  const ws = new win.WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    reconnects = 0;
  };
  ws.onmessage = (message) => {
    let data: { type?: string; header?: RunHeader; events?: StoredEvent[]; from?: number; ended?: boolean; message?: string };
    try {
      data = JSON.parse(String(message.data)) as typeof data;
    } catch {
      banner("the live connection sent something that is not JSON; ignored", "warn");
      return;
    }
    onLive(data);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = undefined;
    const ended = state.live?.ended ?? false;
    const what = ended ? "The run has ended and linklab has stopped serving it" : "The connection to linklab was lost (the lab stopped, or the network did)";
    if (reconnects < 5) {
      reconnects++;
      banner(`${what}. The page keeps everything that arrived; trying to reconnect (${reconnects} of 5)…`, ended ? "info" : "warn");
      win.setTimeout(connect, 1000 * reconnects);
    } else banner(`${what}. The page keeps everything that arrived. Reload when linklab runs again.`, ended ? "info" : "error");
  };
}

function onLive(data: { type?: string; header?: RunHeader; events?: StoredEvent[]; from?: number; ended?: boolean; message?: string }): void {
  if (data.type === "snapshot" && data.header && data.events) {
    expander = new LineExpander();
    state.live = { header: data.header, events: expander.expand(data.events), ended: data.ended === true, problems: [] };
    if (state.source.kind === "live" || !state.record) setRecord(state.live, { kind: "live" });
    clearBanner();
    return;
  }
  const live = state.live;
  if (!live) return;
  if (data.type === "events" && data.events) {
    if (data.from !== live.events.length) {
      // A stale or broken stream: ask for the whole run again rather than draw a wrong one.
      banner(`live updates out of step (expected event ${live.events.length}, got ${String(data.from)}); reloading the run from linklab`, "warn");
      socket?.send(JSON.stringify({ type: "resync" }));
      return;
    }
    live.events.push(...expander.expand(data.events));
  } else if (data.type === "header" && data.header) live.header = data.header;
  else if (data.type === "end") live.ended = true;
  else if (data.type === "error") banner(`linklab: ${data.message ?? "error"}`, "error");
  else {
    banner(`unknown live message '${String(data.type)}' ignored (is the page older than linklab? reload it)`, "warn");
    return;
  }
  if (state.source.kind === "live") {
    state.dirty = true;
    // A big live run costs more to rebuild: at most one rebuild per four times its cost (and per 200 ms).
    const wait = Math.max(200, 4 * state.modelMs) - (win.performance.now() - state.builtAt);
    if (wait <= 0) schedule();
    else if (!state.waiting) {
      state.waiting = true;
      win.setTimeout(() => {
        state.waiting = false;
        schedule();
      }, wait);
    }
  }
}

// --- drawing ---

function view(): View {
  return { cursor: state.cursor, kinds: state.kinds, boards: state.boards };
}

function schedule(): void {
  if (state.scheduled) return;
  state.scheduled = true;
  win.requestAnimationFrame((now) => {
    state.scheduled = false;
    frame(now);
  });
}

function frame(now: number): void {
  const elapsed = state.lastFrame ? Math.min(250, now - state.lastFrame) : 0;
  state.lastFrame = now;
  if (state.playing && state.model) {
    state.cursor = Math.min(state.model.endMs, (Number.isFinite(state.cursor) ? state.cursor : 0) + elapsed * state.speed);
    if (state.cursor >= state.model.endMs) state.playing = false;
  }
  draw();
  if (state.playing) schedule();
}

/** Rebuild the model if the record changed, then draw every part. */
function draw(): void {
  const record = state.record;
  if (!record) return;
  const began = win.performance.now();
  let modelMs = 0;
  if (state.dirty || !state.model) {
    state.model = buildModel(record);
    state.dirty = false;
    modelMs = win.performance.now() - began;
    state.builtAt = win.performance.now();
    state.modelMs = modelMs;
  }
  const model = state.model;
  const v = view();
  const events = record.events;
  $("title").textContent = model.title || model.file || "linklab run";
  const where = state.source.kind === "live" ? (record.ended ? "live run (ended)" : "live") : state.source.kind === "file" ? `replay of ${state.source.name}` : "report";
  $("mode").textContent = where;
  $("notes").innerHTML = model.notes.map((n) => esc(n)).join(" ");
  const at = Number.isFinite(state.cursor) ? state.cursor : model.endMs;
  $("clock").textContent = `${(at / 1000).toFixed(2)} s / ${(model.endMs / 1000).toFixed(1)} s${Number.isFinite(state.cursor) ? "" : " (end)"}`;
  const slider = $("slider");
  slider.value = String(Math.round((1000 * at) / Math.max(1, model.endMs)));
  $("play").textContent = state.playing ? "⏸ pause" : "▶ play";
  $("boards").innerHTML = renderBoards(model, v);
  $("timeline").innerHTML = renderTimeline(model, v);
  $("rtt").innerHTML = renderRtt(model, v);
  const shown = shownConnections(model, v);
  if (!shown.some((c) => c.id === state.connection)) state.connection = shown[0]?.id;
  $("connections").innerHTML = shown
    .map((c) => `<button class="conn${c.id === state.connection ? " on" : ""}" data-conn="${esc(c.id)}">${esc(c.client)} ↔ ${esc(c.server)}</button>`)
    .join("");
  const current = shown.find((c) => c.id === state.connection);
  $("diagram").innerHTML = current ? renderDiagram(current, model, v, events) : `<p class="muted">No connection yet: the diagrams start with the first SYN or beacon.</p>`;
  const faults = $("faults");
  const options = model.bands.map((b) => `<option value="${b.index}">${(b.t / 1000).toFixed(1)} s ${esc(b.name)}</option>`).join("");
  if (faults.dataset.options !== options) {
    faults.innerHTML = `<option value="">jump to a fault…</option>${options}`;
    faults.dataset.options = options;
  }
  $("summary").innerHTML = renderSummary(model);
  $("log").innerHTML = renderLog(model, v, events, state.logAll ? Infinity : 400);
  if (state.selected !== undefined) showLine(state.selected, false);
  // For the render bench (bench/ui-render.ts) and the curious: what the last draw cost.
  win.linklab = { events: events.length, modelMs, drawMs: win.performance.now() - began, draws: ((win.linklab as { draws?: number } | undefined)?.draws ?? 0) + 1 };
}

function buildFilters(header: RunHeader): void {
  $("board-filter").innerHTML = header.boards.map((b) => `<label><input type="checkbox" data-board="${esc(b.id)}" checked> ${esc(b.id)}</label>`).join(" ");
  $("kind-filter").innerHTML = KINDS.map((k) => `<label><input type="checkbox" data-kind="${k}"${state.kinds.has(k) ? " checked" : ""}> ${k}</label>`).join(" ");
}

/** The detail box: the log line an element came from, with its neighbours on the same board. */
function showLine(index: number, scroll = true): void {
  const record = state.record;
  const event: LabEvent | undefined = record?.events[index];
  if (!record || !event) return;
  state.selected = index;
  const same = record.events.map((e, i) => ({ e, i })).filter(({ e }) => e.board === event.board && (e.name === "line" || e.name === "stderr" || e.board === "lab"));
  const at = same.findIndex(({ i }) => i === index);
  const around = at < 0 ? [] : same.slice(Math.max(0, at - 3), at + 4);
  const band = state.model?.bands.find((b) => b.event === index || b.restore?.event === index);
  const list = (reactions: { board: string; what: string; afterMs: number; line?: number }[]): string =>
    `<ul>${reactions.map((r) => `<li class="el" data-line="${r.line ?? ""}">+${(r.afterMs / 1000).toFixed(2)}s ${esc(r.board)} ${esc(r.what)}</li>`).join("") || "<li>(no board reacted)</li>"}</ul>`;
  const reactions = band ? `Reactions filed under ${esc(band.name)} (the lab summary's attribution):${list(band.reactions)}${band.restore ? `and under ${esc(band.restore.name)}:${list(band.restore.reactions)}` : ""}` : "";
  $("detail").innerHTML =
    `<div class="picked"><b>${(event.t / 1000).toFixed(3)} s ${esc(event.board)}</b> <code>${esc(event.text ?? event.name)}</code></div>` +
    (around.length ? `<pre>${around.map(({ e, i }) => `<span class="${i === index ? "hit" : ""}">${esc(`${(e.t / 1000).toFixed(3)} ${e.board} | ${e.text ?? e.name}`)}</span>`).join("\n")}</pre>` : "") +
    (band ? `<div>${reactions}</div>` : "");
  for (const old of Array.from($("log").querySelectorAll(".ln.hit"))) old.classList.remove("hit");
  const line = $("log").querySelector(`.ln[data-line="${index}"]`);
  line?.classList.add("hit");
  if (scroll) $("detail").scrollIntoView({ block: "nearest" });
}

// --- controls ---

function eventTimes(): number[] {
  return state.record ? state.record.events.map((e) => e.t).filter((t) => t >= 0) : [];
}

function pause(): void {
  state.playing = false;
  if (!Number.isFinite(state.cursor) && state.model) state.cursor = state.model.endMs;
}

function step(direction: 1 | -1): void {
  pause();
  const times = eventTimes();
  const now = state.cursor;
  const next = direction > 0 ? times.find((t) => t > now) : [...times].reverse().find((t) => t < now);
  if (next !== undefined) state.cursor = next;
  schedule();
}

function wire(): void {
  $("open").addEventListener("change", () => {
    const file = $("open").files?.[0];
    if (!file) return;
    file.text().then(
      (text) => openText(text, file.name),
      (error: Error) => banner(`cannot read ${file.name}: ${error.message}`, "error"),
    );
  });
  $("start").addEventListener("click", () => {
    pause();
    state.cursor = 0;
    schedule();
  });
  $("back").addEventListener("click", () => step(-1));
  $("next").addEventListener("click", () => step(1));
  $("play").addEventListener("click", () => {
    if (state.playing) pause();
    else {
      if (!Number.isFinite(state.cursor) || (state.model && state.cursor >= state.model.endMs)) state.cursor = 0;
      state.playing = true;
    }
    schedule();
  });
  $("end").addEventListener("click", () => {
    state.playing = false;
    state.cursor = Infinity;
    if (state.live && state.source.kind !== "live") setRecord(state.live, { kind: "live" });
    schedule();
  });
  $("speed").addEventListener("change", () => {
    state.speed = Number($("speed").value) || 1;
  });
  $("slider").addEventListener("input", () => {
    pause();
    state.cursor = ((state.model?.endMs ?? 0) * Number($("slider").value)) / 1000;
    schedule();
  });
  $("faults").addEventListener("change", () => {
    const band = state.model?.bands[Number($("faults").value)];
    if (!band || $("faults").value === "") return;
    pause();
    state.cursor = band.t;
    const touched = state.model?.connections.find((c) => band.boards === "all" || band.boards.includes(c.client) || band.boards.includes(c.server));
    if (touched) state.connection = touched.id;
    state.selected = band.event;
    schedule();
  });
  $("board-filter").addEventListener("change", () => {
    const all = Array.from($("board-filter").querySelectorAll("input"));
    state.boards = new Set(all.every((i) => i.checked) ? [] : all.filter((i) => i.checked).map((i) => i.dataset.board ?? ""));
    schedule();
  });
  $("kind-filter").addEventListener("change", () => {
    state.kinds = new Set(Array.from($("kind-filter").querySelectorAll("input")).filter((i) => i.checked).map((i) => i.dataset.kind as Kind));
    schedule();
  });
  $("log-all").addEventListener("click", () => {
    state.logAll = !state.logAll;
    $("log-all").textContent = state.logAll ? "show the last 400 lines" : "show all lines";
    schedule();
  });
  $("connections").addEventListener("click", (event) => {
    const button = (event.target as DomElement).closest("[data-conn]");
    if (!button) return;
    state.connection = button.dataset.conn;
    schedule();
  });
  $("timeline").addEventListener("click", (event) => {
    const svg = $("timeline").querySelector("svg");
    const model = state.model;
    if (!svg || !model) return;
    const box = svg.getBoundingClientRect();
    const left = Number(svg.getAttribute("data-left"));
    const width = Number(svg.getAttribute("data-width"));
    const fraction = (event.clientX - box.left - left) / width;
    if (fraction < 0 || fraction > 1) return;
    pause();
    state.cursor = fraction * model.endMs;
    schedule();
  });
  win.document.body.addEventListener("click", (event) => {
    const target = (event.target as DomElement).closest("[data-line]");
    if (!target || target.closest("#timeline")) return;
    const index = Number(target.dataset.line);
    if (target.dataset.line !== "" && Number.isInteger(index)) showLine(index);
  });
}

function start(): void {
  wire();
  const embedded = win.document.getElementById("run-data");
  const body = win.document.body;
  if (embedded?.textContent) {
    try {
      setRecord(parseRecord(embedded.textContent, "this report", Object.keys(ANCHORS)), { kind: "report" });
    } catch (error) {
      banner(`this report holds no readable run: ${(error as Error).message}`, "error");
    }
  }
  if (body.dataset.live === "1") {
    state.source = { kind: "live" };
    banner("connecting to linklab…", "info");
    connect();
  } else if (!embedded?.textContent) banner("No run loaded: open a --json file or a recorded event file with “open run…”.", "info");
}

start();
