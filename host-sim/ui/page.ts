// The page: one HTML document with its CSS and its script inline (the script is page/client.ts and what it imports,
// bundled for the browser by esbuild), so the live view and a report are the same page. A report embeds its run as
// JSON; the live page connects back to its server over WebSocket.

import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import type { LabEvent } from "../lab/events.ts";
import { compactEvents, type RunHeader } from "./record.ts";

let bundled: Promise<string> | undefined;

/** The page's script, bundled once per process (about 0.1 s). */
export function pageScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [fileURLToPath(new URL("./page/client.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  }).then((result) => result.outputFiles[0].text);
  return bundled;
}

const CSS = `
:root { font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #fafbfc; }
body { margin: 0 16px 40px; }
header { position: sticky; top: 0; background: #fafbfc; padding: 8px 0; border-bottom: 1px solid #dde; z-index: 2; }
h1 { font-size: 18px; margin: 4px 0; } h2 { font-size: 15px; margin: 18px 0 6px; } h3 { font-size: 14px; margin: 12px 0 4px; }
#mode { font-size: 12px; padding: 1px 6px; border-radius: 8px; background: #e3e8f4; margin-left: 6px; }
.controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 4px; }
.controls button, .controls select { font: inherit; padding: 2px 8px; }
#slider { width: 260px; } #clock { font-variant-numeric: tabular-nums; min-width: 150px; }
.filters { font-size: 12px; margin-top: 4px; } .filters label { margin-right: 8px; white-space: nowrap; }
.banner { margin: 8px 0; padding: 8px 10px; border-radius: 4px; }
.banner.error { background: #fde2e1; border: 1px solid #d33; } .banner.warn { background: #fff4d6; border: 1px solid #d9a400; } .banner.info { background: #e6f0ff; border: 1px solid #6b9be0; }
.muted { color: #778; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; border-bottom: 1px solid #e4e6ee; text-align: left; font-size: 13px; }
.state { padding: 1px 6px; border-radius: 8px; color: #fff; }
.st-ok { background: #2e9d57; fill: #2e9d57; } .st-wait { background: #e08a00; fill: #e08a00; } .st-bad { background: #cc3333; fill: #cc3333; }
.st-find { background: #3f7bd9; fill: #3f7bd9; } .st-try { background: #c9b200; fill: #c9b200; } .st-down { background: #777; fill: #999; } .st-other { background: #aab; fill: #c8cbd6; }
.grid { display: grid; grid-template-columns: minmax(0, 800px) minmax(280px, 1fr); gap: 16px; }
#connections button { margin: 0 4px 4px 0; } #connections button.on { background: #1d2330; color: #fff; }
svg text { font: 11px system-ui, sans-serif; fill: #1d2330; }
svg .band { fill: rgba(220, 50, 50, 0.10); stroke: rgba(220, 50, 50, 0.5); stroke-dasharray: 4 2; }
svg .life { stroke: #99a; stroke-width: 2; } svg .head { font-weight: 600; font-size: 13px; }
svg .time, svg .gap { fill: #889; } svg .arrow line { stroke: #345; stroke-width: 1.4; } marker path { fill: #345; }
svg .k-tcp line { stroke: #3f5fbf; } svg .k-protocol line { stroke: #2e9d57; } svg .k-heartbeat line { stroke: #8a55c8; }
svg .k-echo line { stroke: #c07a00; } svg .k-udp line { stroke: #3a9fb0; } svg .k-push line { stroke: #b5477a; }
svg .bad line { stroke: #cc3333; } svg .bad text { fill: #b02020; }
svg .note circle { fill: #fff; stroke: #345; stroke-width: 1.5; } svg .note.bad circle { stroke: #cc3333; fill: #fde2e1; }
svg .silent { fill: url(#none); fill: rgba(120, 120, 140, 0.35); }
svg .fault text { fill: #b02020; font-weight: 600; }
svg .el { cursor: pointer; } svg .el:hover text { text-decoration: underline; }
svg .pin.pass circle { fill: #2e9d57; } svg .pin.fail circle { fill: #cc3333; }
svg .cursor { stroke: #1d2330; stroke-width: 1.5; } svg .lane { font-weight: 600; } svg .bandname { fill: #b02020; }
svg .series { fill: none; stroke-width: 1.5; } .s0 { stroke: #3f7bd9; fill: #3f7bd9; } .s1 { stroke: #e08a00; fill: #e08a00; } .s2 { stroke: #2e9d57; fill: #2e9d57; }
.s3 { stroke: #8a55c8; fill: #8a55c8; } .s4 { stroke: #cc3333; fill: #cc3333; } .s5 { stroke: #3a9fb0; fill: #3a9fb0; } svg .axis { stroke: #ccd; fill: #778; }
#timeline { cursor: crosshair; overflow-x: auto; } #diagram { overflow: auto; max-height: 70vh; border: 1px solid #e4e6ee; background: #fff; }
#detail { position: sticky; top: 120px; font-size: 12px; background: #fff; border: 1px solid #e4e6ee; padding: 8px; min-height: 60px; }
#detail pre { white-space: pre-wrap; font-size: 11px; } #detail .hit { background: #fff0a8; } #detail code { white-space: pre-wrap; }
#log { font: 11px/1.35 ui-monospace, monospace; max-height: 45vh; overflow: auto; background: #fff; border: 1px solid #e4e6ee; padding: 4px; }
#log .ln { cursor: pointer; white-space: pre-wrap; } #log .ln.hit { background: #fff0a8; } #log .err { color: #b02020; } #log .t { color: #889; } #log .b { font-weight: 600; }
li.el { cursor: pointer; } .pass { color: #2e9d57; font-weight: 600; } .fail { color: #cc3333; font-weight: 600; }
@media print { header { position: static; } #diagram, #log { max-height: none; overflow: visible; } .controls, .filters { display: none; } }
`;

const BODY = `
<header>
  <h1><span id="title">linklab</span><span id="mode">loading</span></h1>
  <div id="notes" class="muted"></div>
  <div class="controls">
    <button id="start" title="to the start">◀◀ start</button><button id="back" title="one event back">◀ step</button>
    <button id="play">▶ play</button><button id="next" title="one event on">step ▶</button>
    <button id="end" title="to the end (live: follow)">end / live ▶▶</button>
    <label>speed <select id="speed"><option>0.5</option><option selected>1</option><option>2</option><option>5</option><option>10</option><option>50</option></select></label>
    <input id="slider" type="range" min="0" max="1000" value="1000"><span id="clock"></span>
    <select id="faults"><option value="">jump to a fault…</option></select>
    <label>open run… <input id="open" type="file" accept=".json,.jsonl,.ndjson,.txt"></label>
  </div>
  <div class="filters">boards: <span id="board-filter"></span></div>
  <div class="filters">kinds: <span id="kind-filter"></span></div>
</header>
<div id="banner" class="banner info">Loading the page's script… (if this stays, the script failed: see the browser console)</div>
<h2>Boards</h2><div id="boards"></div>
<h2>Timeline <span class="muted">(faults as bands, expectations as pins: green passed, red failed; click to move the cursor)</span></h2><div id="timeline"></div>
<h2>Round trips <span class="muted">(each client's ECHO rttMs over time)</span></h2><div id="rtt"></div>
<h2>Connections <span class="muted">(one sequence diagram per client and server; click an element to see its log line)</span></h2>
<div id="connections"></div>
<div class="grid"><div id="diagram"></div><div id="detail" class="muted">Click an arrow, a note, a fault or a log line to see the line it came from.</div></div>
<h2>Summary</h2><div id="summary"></div>
<h2>Log <button id="log-all">show all lines</button></h2><div id="log"></div>
<noscript><p class="banner error">This page needs JavaScript to draw the run.</p></noscript>
`;

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** The page as one HTML document: live (connects to its server) or a report (the run inside it). */
export async function pageHtml(options: { live: boolean; title: string; run?: { header: RunHeader; events: LabEvent[]; problems?: string[] } }): Promise<string> {
  const script = (await pageScript()).replace(/<\/script/gi, "<\\/script");
  const data = options.run ? `<script type="application/json" id="run-data">${scriptJson({ header: options.run.header, events: compactEvents(options.run.events), problems: options.run.problems ?? [] })}</script>` : "";
  const title = options.title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src 'self'">
<title>${title}</title><style>${CSS}</style></head>
<body data-live="${options.live ? "1" : "0"}">${BODY}${data}<script>${script}</script></body></html>
`;
}
