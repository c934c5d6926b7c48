// Drawing the model (model.ts) as SVG and HTML text: a sequence diagram per connection, the timeline with fault bands
// and expectation pins, the round-trip chart, the board list, the summary and the log. Pure string functions (no DOM),
// so the page, the report and the tests draw the same thing from the same model. Every drawn element that came from a
// log line carries data-line="<event index>", which the page uses to show that line.

import type { LabEvent } from "../lab/events.ts";
import { boardsAt, headline, type Band, type Connection, type Element, type Kind, type Model } from "./model.ts";

export interface View {
  /** Lab time (ms) up to which the run is shown (replay); Infinity = all. */
  cursor: number;
  /** Kinds of element shown. */
  kinds: ReadonlySet<Kind>;
  /** Boards shown (empty = all). */
  boards: ReadonlySet<string>;
}

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const sec = (ms: number): string => {
  const text = (ms / 1000).toFixed(ms < 10_000 && ms > -10_000 ? 2 : 1);
  return `${/^-0\.0+$/.test(text) ? text.slice(1) : text}s`;
};

/** The colour class of a board state (see the page's CSS): the first word decides. */
export function stateClass(state: string): string {
  const word = state.split(" ")[0];
  if (state.includes("Wi-Fi down")) return "st-down";
  switch (word) {
    case "online":
    case "listening":
      return "st-ok";
    case "waiting":
    case "paused":
      return "st-wait";
    case "lost":
    case "off":
      return "st-bad";
    case "discovering":
      return "st-find";
    case "connecting":
    case "handshaking":
      return "st-try";
    default:
      return "st-other";
  }
}

function visible(view: View, boards: string[]): boolean {
  return view.boards.size === 0 || boards.some((b) => view.boards.has(b));
}

function bandTouches(band: Band, boards: string[]): boolean {
  return band.boards === "all" || band.boards.some((b) => boards.includes(b));
}

/** The connections shown under the view's board filter. */
export function shownConnections(model: Model, view: View): Connection[] {
  return model.connections.filter((c) => visible(view, [c.client, c.server]));
}

// --- the sequence diagram ---

type Row =
  | { type: "el"; t: number; el: Element }
  | { type: "gap"; t: number; ms: number }
  | { type: "fault"; t: number; band: Band; end: boolean };

const ROW = 22;
const GAP_ROW = 14;
const LEFT = 70;
const WIDTH = 760;
const TOP = 40;
/** A pause between rows longer than this is drawn as a gap row saying how long. */
const GAP_MS = 1500;

function rowsOf(c: Connection, model: Model, view: View): Row[] {
  const rows: Row[] = [];
  const items: Row[] = c.elements.filter((e) => e.t <= view.cursor && view.kinds.has(e.kind)).map((el) => ({ type: "el" as const, t: el.t, el }));
  for (const band of model.bands) {
    if (!bandTouches(band, [c.client, c.server]) || band.t > view.cursor) continue;
    items.push({ type: "fault", t: band.t, band, end: false });
    if (band.endT > band.t && band.endT <= view.cursor && (band.restore || band.endT < model.endMs)) items.push({ type: "fault", t: band.endT, band, end: true });
  }
  items.sort((a, b) => a.t - b.t || (a.type === "fault" ? -1 : 0) - (b.type === "fault" ? -1 : 0));
  let last: number | undefined;
  for (const item of items) {
    if (last !== undefined && item.t - last > GAP_MS) rows.push({ type: "gap", t: item.t, ms: item.t - last });
    rows.push(item);
    last = item.t;
  }
  return rows;
}

/** A connection's sequence diagram: lifelines down, one row per element, gaps compressed and labelled. */
export function renderDiagram(c: Connection, model: Model, view: View, events: readonly LabEvent[]): string {
  const rows = rowsOf(c, model, view);
  const x: Record<string, number> = { [c.client]: LEFT + 150, [c.server]: LEFT + WIDTH - 230 };
  const ys: number[] = [];
  let y = TOP;
  for (const row of rows) {
    ys.push(y);
    y += row.type === "gap" ? GAP_ROW : ROW;
  }
  const height = y + 20;
  const yAt = (t: number): number => {
    const i = rows.findIndex((r) => r.t >= t);
    return i < 0 ? y : ys[i];
  };
  const out: string[] = [];
  out.push(`<svg class="seq" xmlns="http://www.w3.org/2000/svg" width="${LEFT + WIDTH}" height="${height}" viewBox="0 0 ${LEFT + WIDTH} ${height}" data-connection="${esc(c.id)}">`);
  // Fault bands, under everything.
  for (const band of model.bands) {
    if (!bandTouches(band, [c.client, c.server]) || band.t > view.cursor) continue;
    const top = yAt(band.t);
    const end = Math.min(band.endT, view.cursor);
    const bottom = band.endT > band.t ? (end >= model.endMs ? y : yAt(end) + ROW) : top + ROW;
    out.push(`<rect class="band" data-band="${band.index}" x="${LEFT}" y="${top}" width="${WIDTH}" height="${Math.max(ROW, bottom - top)}"/>`);
  }
  for (const [board, bx] of Object.entries(x)) {
    out.push(`<text class="head" x="${bx}" y="${TOP - 22}" text-anchor="middle">${esc(board)}</text>`);
    out.push(`<line class="life" x1="${bx}" y1="${TOP - 14}" x2="${bx}" y2="${height - 10}"/>`);
  }
  rows.forEach((row, i) => {
    const top = ys[i];
    const mid = top + ROW / 2 + 4;
    if (row.type === "gap") {
      out.push(`<text class="gap" x="${LEFT + WIDTH / 2}" y="${top + 11}" text-anchor="middle">… ${esc(sec(row.ms))} …</text>`);
      return;
    }
    out.push(`<text class="time" x="${LEFT - 6}" y="${mid}" text-anchor="end">${esc(sec(row.t))}</text>`);
    if (row.type === "fault") {
      const b = row.band;
      const text = row.end ? (b.restore ? b.restore.text : `${b.name} ends`) : b.text;
      const event = row.end ? (b.restore?.event ?? b.event) : b.event;
      out.push(`<g class="el fault" data-band="${b.index}" data-line="${event}"><text x="${LEFT + 6}" y="${mid}">${row.end ? "▲" : "⚡"} ${esc(text)}</text></g>`);
      return;
    }
    const el = row.el;
    const cls = `el k-${el.kind}${el.bad ? " bad" : ""}`;
    const from = x[el.from];
    const title = `<title>${esc(events[el.line]?.text ?? "")}</title>`;
    const cause = el.cause !== undefined ? ` data-band="${el.cause}"` : "";
    if (el.kind === "silence" && el.since !== undefined && from !== undefined) {
      const top2 = yAt(el.since);
      out.push(`<g class="${cls}" data-line="${el.line}">${title}<rect class="silent" x="${from - 4}" y="${top2}" width="8" height="${Math.max(4, top + ROW - top2)}"/><text x="${from + 10}" y="${mid}">${esc(el.label)}</text></g>`);
      return;
    }
    if (el.to === undefined || from === undefined) {
      const at = from ?? LEFT + 10;
      const right = at > LEFT + WIDTH / 2;
      const label = el.cause !== undefined ? `${el.label} ← ${model.bands[el.cause]?.name ?? "fault"}` : el.label;
      out.push(
        `<g class="${cls} note"${cause} data-line="${el.line}">${title}<circle cx="${at}" cy="${mid - 4}" r="5"/><text x="${right ? at - 10 : at + 10}" y="${mid}" text-anchor="${right ? "end" : "start"}">${esc(label)}</text></g>`,
      );
      return;
    }
    const to = el.to === "*" ? (from < x[c.server] ? LEFT + WIDTH - 10 : LEFT + 10) : (x[el.to] ?? LEFT + 10);
    const dir = to > from ? 1 : -1;
    const dash = el.to === "*" || el.kind === "udp" ? ` stroke-dasharray="5 3"` : "";
    out.push(
      `<g class="${cls} arrow" data-line="${el.line}">${title}<line x1="${from}" y1="${mid - 4}" x2="${to - dir * 2}" y2="${mid - 4}"${dash} marker-end="url(#head)"/>` +
        `<text x="${(from + to) / 2}" y="${mid - 8}" text-anchor="middle">${esc(el.label)}</text></g>`,
    );
  });
  out.push(`<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>`);
  out.push("</svg>");
  return out.join("");
}

// --- the timeline ---

const TL_LEFT = 90;
const TL_WIDTH = 900;
const LANE = 16;

/** The whole run left to right: a lane per board coloured by its state, fault bands, expectation pins, the cursor. */
export function renderTimeline(model: Model, view: View): string {
  const span = Math.max(1, model.endMs);
  const tx = (t: number): number => TL_LEFT + (Math.max(0, Math.min(span, t)) / span) * TL_WIDTH;
  const boards = model.boards.filter((b) => visible(view, [b.id]));
  const height = 34 + boards.length * (LANE + 4) + 22;
  const out: string[] = [`<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${TL_LEFT + TL_WIDTH + 10}" height="${height}" data-span="${span}" data-left="${TL_LEFT}" data-width="${TL_WIDTH}">`];
  for (const band of model.bands) {
    if (band.t > view.cursor) continue;
    const x1 = tx(band.t);
    const x2 = Math.max(x1 + 3, tx(Math.min(band.endT, view.cursor)));
    out.push(`<g class="el fault" data-band="${band.index}" data-line="${band.event}"><title>${esc(band.text)}</title><rect class="band" x="${x1}" y="22" width="${x2 - x1}" height="${height - 40}"/><text class="bandname" x="${x1 + 2}" y="${height - 6}">${esc(band.name)}</text></g>`);
  }
  boards.forEach((board, i) => {
    const y = 30 + i * (LANE + 4);
    out.push(`<text class="lane" x="${TL_LEFT - 6}" y="${y + 12}" text-anchor="end">${esc(board.id)}</text>`);
    const snaps = model.snapshots[board.id] ?? [];
    const points = snaps.filter((s) => s.t <= view.cursor);
    for (let k = 0; k < points.length; k++) {
      const from = Math.max(0, points[k].t);
      const to = Math.min(view.cursor, k + 1 < points.length ? points[k + 1].t : model.endMs);
      if (to <= from && k + 1 < points.length) continue;
      const state = headline(points[k], board.role);
      out.push(`<rect class="${stateClass(state)}" x="${tx(from)}" y="${y}" width="${Math.max(1, tx(to) - tx(from))}" height="${LANE}"><title>${esc(`${board.id}: ${state} from ${sec(points[k].t)}`)}</title></rect>`);
    }
  });
  for (const [i, pin] of model.pins.entries()) {
    if (pin.t > view.cursor || !visible(view, [pin.board])) continue;
    out.push(
      `<g class="pin ${pin.passed ? "pass" : "fail"}" data-pin="${i}"><title>${esc(`${pin.passed ? "PASS" : "FAIL"} ${pin.text} -> ${pin.detail} (line ${pin.line})`)}</title><circle cx="${tx(pin.t)}" cy="12" r="5"/></g>`,
    );
  }
  if (Number.isFinite(view.cursor)) out.push(`<line class="cursor" x1="${tx(view.cursor)}" y1="4" x2="${tx(view.cursor)}" y2="${height - 18}"/>`);
  out.push("</svg>");
  return out.join("");
}

/** Each client's ECHO round trips over time (rttMs of its `echo reply` lines). */
export function renderRtt(model: Model, view: View): string {
  const clients = Object.keys(model.rtt).filter((id) => visible(view, [id]));
  if (clients.length === 0) return `<p class="muted">No ECHO replies yet (a client with echoMs=0 sends none).</p>`;
  const span = Math.max(1, model.endMs);
  const points = clients.flatMap((id) => model.rtt[id].filter((p) => p[0] <= view.cursor));
  const max = Math.max(5, ...points.map((p) => p[1]));
  const h = 110;
  const tx = (t: number): number => TL_LEFT + (Math.max(0, t) / span) * TL_WIDTH;
  const ty = (v: number): number => 10 + (1 - v / max) * (h - 30);
  const out = [`<svg class="rtt" xmlns="http://www.w3.org/2000/svg" width="${TL_LEFT + TL_WIDTH + 10}" height="${h}">`];
  out.push(`<text class="axis" x="${TL_LEFT - 6}" y="${ty(max) + 4}" text-anchor="end">${max} ms</text><text class="axis" x="${TL_LEFT - 6}" y="${ty(0) + 4}" text-anchor="end">0</text>`);
  out.push(`<line class="axis" x1="${TL_LEFT}" y1="${ty(0)}" x2="${TL_LEFT + TL_WIDTH}" y2="${ty(0)}"/>`);
  clients.forEach((id, i) => {
    const pts = model.rtt[id].filter((p) => p[0] <= view.cursor);
    out.push(`<polyline class="series s${i % 6}" points="${pts.map((p) => `${tx(p[0]).toFixed(1)},${ty(p[1]).toFixed(1)}`).join(" ")}"><title>${esc(id)}</title></polyline>`);
    out.push(`<text class="series-name s${i % 6}" x="${TL_LEFT + 6 + i * 70}" y="${h - 4}">${esc(id)}</text>`);
  });
  out.push("</svg>");
  return out.join("");
}

// --- boards, summary, log ---

export function renderBoards(model: Model, view: View): string {
  const t = Number.isFinite(view.cursor) ? view.cursor : model.endMs;
  const rows = boardsAt(model, t)
    .filter((b) => visible(view, [b.id]))
    .map((b) => {
      const faults = model.bands.filter((band) => band.t <= t && t <= band.endT && band.endT > band.t && bandTouches(band, [b.id])).map((band) => band.name);
      const detail = [b.detail, ...faults.map((f) => `fault: ${f}`)].filter(Boolean).join("; ");
      return `<tr data-board="${esc(b.id)}"${b.line !== undefined ? ` data-line="${b.line}" class="el"` : ""}><td>${esc(b.id)}</td><td>${esc(b.role)}</td><td>${esc(b.address)}</td><td><span class="state ${stateClass(b.state)}">${esc(b.state)}</span></td><td>${esc(detail)}</td><td>${esc(b.peers.join(", ") || "-")}</td></tr>`;
    });
  return `<table class="boards"><thead><tr><th>board</th><th>role</th><th>address</th><th>state</th><th>detail</th><th>peers</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

export function renderSummary(model: Model): string {
  const s = model.summary;
  const out: string[] = [];
  out.push(`<table class="summary"><thead><tr><th>board</th><th>role</th><th>address</th><th>boots</th><th>handshakes</th><th>online</th><th>outages</th><th>verdicts</th><th>echo sent/back/lost</th><th>rtt p50/max</th></tr></thead><tbody>`);
  for (const b of s.boards) {
    out.push(
      `<tr><td>${esc(b.id)}</td><td>${esc(b.role || "-")}</td><td>${esc(b.addresses.join(" > "))}</td><td>${b.boots}</td><td>${b.handshakes}</td><td>${b.onlineMs === undefined ? "-" : `${sec(b.onlineMs)} (${b.onlinePercent}%)`}</td><td>${b.outages.length}</td><td>${b.offlineVerdicts.length}</td><td>${b.messages.sent || b.messages.echoed ? `${b.messages.sent}/${b.messages.echoed}/${b.messages.lost}` : "-"}</td><td>${b.rttMs ? `${b.rttMs.p50}/${b.rttMs.max} ms` : "-"}</td></tr>`,
    );
  }
  out.push("</tbody></table>");
  if (model.bands.length) {
    out.push(`<h3>What happened</h3><ul class="incidents">`);
    for (const band of model.bands) {
      const reactions = (list: Band["reactions"]): string => (list.length ? `<ul>${list.map((r) => `<li${r.line !== undefined ? ` class="el" data-line="${r.line}"` : ""}>+${sec(r.afterMs)} ${esc(r.board)} ${esc(r.what)}</li>`).join("")}</ul>` : `<ul><li class="muted">(no board reacted)</li></ul>`);
      out.push(`<li class="el" data-band="${band.index}" data-line="${band.event}" data-t="${band.t}"><b>${sec(band.t)}</b> ${esc(band.text)}${reactions(band.reactions)}</li>`);
      if (band.restore) out.push(`<li class="el" data-band="${band.index}" data-line="${band.restore.event}" data-t="${band.restore.t}"><b>${sec(band.restore.t)}</b> ${esc(band.restore.text)}${reactions(band.restore.reactions)}</li>`);
    }
    out.push("</ul>");
  }
  if (model.pins.length) {
    out.push(`<h3>Expectations</h3><table class="expectations"><tbody>`);
    for (const [i, pin] of model.pins.entries())
      out.push(`<tr data-pin="${i}"><td class="${pin.passed ? "pass" : "fail"}">${pin.passed ? "PASS" : "FAIL"}</td><td>${esc(pin.text)}</td><td>${esc(pin.detail)}</td><td>line ${pin.line}</td></tr>`);
    const failed = model.pins.filter((p) => !p.passed).length;
    out.push(`</tbody></table><p class="${failed ? "fail" : "pass"}">${failed ? `${failed} of ${model.pins.length} expectations failed` : `all ${model.pins.length} expectations passed`}</p>`);
  }
  return out.join("");
}

/** The serial log up to the cursor (the last `limit` lines), each line clickable. */
export function renderLog(model: Model, view: View, events: readonly LabEvent[], limit: number): string {
  const shown = model.lines.filter((i) => events[i].t <= view.cursor && visible(view, [events[i].board]));
  const cut = shown.length > limit ? shown.slice(shown.length - limit) : shown;
  const out: string[] = [];
  if (cut.length < shown.length) out.push(`<div class="muted">… ${shown.length - cut.length} earlier lines (show all to see them)</div>`);
  for (const i of cut) {
    const e = events[i];
    out.push(`<div class="ln${e.name === "stderr" ? " err" : ""}" data-line="${i}"><span class="t">${sec(e.t)}</span> <span class="b">${esc(e.board)}</span> ${esc(e.text ?? "")}</div>`);
  }
  return out.join("");
}
