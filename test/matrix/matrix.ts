// The fault matrix's measurements: one row per scenario of host-sim/scenarios/matrix/ (fault x role), read from a
// lab run: each verdict and recovery expectation with its bound and the measured delay, the silence each heartbeat
// verdict reports on the board's own clock, and the ECHO accounting of every board that runs a client.
// Pure functions of a LabResult, so the test (matrix.test.ts) and the table script (table.ts) share them.
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LabResult } from "../../host-sim/lab/lab.ts";
import type { Expectation } from "../../host-sim/lab/scenario.ts";
import { checkIntervalMs } from "linklab/heartbeat";

export const matrixDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "host-sim", "scenarios", "matrix");

/** The scenario files of the matrix, `<fault>-<role>.lab`, in a stable order. */
export function matrixFiles(): string[] {
  return readdirSync(matrixDir)
    .filter((name) => name.endsWith(".lab"))
    .sort()
    .map((name) => join(matrixDir, name));
}

/** `power-off-server.lab` -> fault power-off, role server (role `all`: a network-wide fault, every role at once). */
export function faultAndRole(file: string): { fault: string; role: string } {
  const match = /^(.+)-(server|client|both|all)\.lab$/.exec(basename(file));
  if (!match) throw new Error(`${file}: a matrix scenario is named <fault>-<server|client|both|all>.lab`);
  return { fault: match[1], role: match[2] };
}

export type Kind = "verdict" | "recovery" | "guard";

export interface Measured {
  kind: Kind;
  /** The expectation as written, e.g. "c1 lost within 1.075s of power-off server". */
  text: string;
  board: string;
  event: string;
  negated: boolean;
  /** The window of a timed expectation, in ms. */
  boundMs?: number;
  /** Delay from each anchor to the event (positive, timed expectations). */
  delaysMs: number[];
  passed: boolean;
  detail: string;
}

export interface Silence {
  board: string;
  /** Silence the board measured on its own clock when it declared the peer dead, and its limits. */
  silentMs: number;
  timeoutMs: number;
  checkMs: number;
}

export interface EchoAccount {
  board: string;
  sent: number;
  echoed: number;
  lost: number;
  /** Messages made while offline that a full outbox refused (logged `outbox full, message dropped`). */
  dropped: number;
  /** sent - echoed - lost: must be 0. */
  unaccounted: number;
  /** Replies whose message number shows a message vanished between being made and being sent (must be empty). */
  gaps: string[];
  /** The board was never cut off (no outage, one boot), so it must have lost nothing. */
  undisturbed: boolean;
}

export interface MatrixRow {
  scenario: string;
  fault: string;
  role: string;
  title: string;
  passed: boolean;
  measured: Measured[];
  silences: Silence[];
  echo: EchoAccount[];
}

/** Which column an expectation belongs to, from the scenario comment above it (`# verdict: ...`, `# recovery: ...`). */
export function kindOf(group: string | undefined): Kind {
  if (group?.startsWith("verdict")) return "verdict";
  if (group?.startsWith("recovery")) return "recovery";
  return "guard";
}

const num = (value: string | undefined): number | undefined => (value === undefined || value === "" ? undefined : Number(value));

function silences(result: LabResult): Silence[] {
  const out: Silence[] = [];
  for (const event of result.events) {
    const line = event.line;
    if (event.name !== "line" || !line) continue;
    if (!line.message.startsWith("server silent, link lost") && !line.message.startsWith("peer silent, closing")) continue;
    const silentMs = num(line.fields.silentMs);
    const timeoutMs = num(line.fields.timeoutMs);
    if (silentMs === undefined || timeoutMs === undefined) continue;
    // The heartbeat period in force: the board's own, or (a client adopts its server's timings) the board whose
    // timeoutMs it is. The manifest default is 1000 ms.
    const spec = result.scenario.boards.find((b) => b.id === event.board && Number(b.config.timeoutMs) === timeoutMs) ?? result.scenario.boards.find((b) => Number(b.config.timeoutMs) === timeoutMs);
    const heartbeatMs = Number(spec?.config.heartbeatMs ?? 1000);
    out.push({ board: event.board, silentMs, timeoutMs, checkMs: checkIntervalMs(heartbeatMs, timeoutMs) });
  }
  return out;
}

/** ECHO accounting of one board from its log: the summary's counts, and each reply's message number against its seq. */
function echoAccount(result: LabResult, board: string): EchoAccount {
  const summary = result.summary.boards.find((b) => b.id === board)!;
  const { sent, echoed, lost } = summary.messages;
  let dropped = 0;
  let droppedThisBoot = 0;
  let lastSeq = -1;
  let lastSkew = 0;
  const gaps: string[] = [];
  for (const event of result.events) {
    if (event.board !== board) continue;
    if (event.name === "boot") {
      dropped += droppedThisBoot;
      droppedThisBoot = 0;
      lastSeq = -1;
      lastSkew = 0;
      continue;
    }
    const line = event.line;
    if (event.name !== "line" || !line) continue;
    if (line.message === "outbox full, message dropped") droppedThisBoot = Math.max(droppedThisBoot, num(line.fields.dropped) ?? 0);
    if (line.message !== "echo reply") continue;
    const seq = num(line.fields.seq)!;
    const n = Number(/\bn=(\d+)/.exec(line.fields.text ?? "")?.[1]);
    // Messages are numbered n = 1, 2, ... as they are made and get seq = 0, 1, ... as they are sent, in order; a
    // made message is either sent or refused by a full outbox, so n - 1 - seq counts refusals before it: never more
    // than were logged, never going down.
    const skew = n - 1 - seq;
    if (seq <= lastSeq) gaps.push(`seq ${seq} after ${lastSeq}`);
    if (!Number.isInteger(n) || skew < lastSkew || skew > droppedThisBoot) gaps.push(`seq ${seq} carries n=${n} with ${droppedThisBoot} refused so far`);
    lastSeq = seq;
    lastSkew = Math.max(lastSkew, skew);
  }
  dropped += droppedThisBoot;
  return { board, sent, echoed, lost, dropped, unaccounted: sent - echoed - lost, gaps, undisturbed: summary.outages.length === 0 && summary.boots === 1 };
}

export function measure(file: string, result: LabResult): MatrixRow {
  const { fault, role } = faultAndRole(file);
  const expectations: Expectation[] = result.scenario.expectations;
  const measured = result.expectations.map((judged, index): Measured => {
    const expectation = expectations[index];
    const window = expectation.window;
    return {
      kind: kindOf(judged.group),
      text: judged.text,
      board: expectation.board,
      event: [expectation.event.name, ...expectation.event.args].join(" "),
      negated: expectation.negated,
      boundMs: window.kind === "after" ? window.withinMs : undefined,
      delaysMs: judged.delaysMs,
      passed: judged.passed,
      detail: judged.detail,
    };
  });
  const clients = result.boards.filter((b) => b.role === "client" || b.role === "both").map((b) => b.id);
  return {
    scenario: basename(file, ".lab"),
    fault,
    role,
    title: result.scenario.title,
    passed: result.passed,
    measured,
    silences: silences(result),
    echo: clients.map((board) => echoAccount(result, board)),
  };
}

// ---- the table for docs/reliability.md ----

/** Seconds with as many decimals as needed, up to three: 1.075, 0.5, 0.86. */
const sec = (ms: number): string => String(Number((ms / 1000).toFixed(ms % 10 === 0 ? 2 : 3)));

/** Worst (largest) delay of each timed expectation over several runs of the same scenario. */
function worst(runs: MatrixRow[], text: string): number | undefined {
  const delays = runs.flatMap((row) => row.measured.find((m) => m.text === text)?.delaysMs ?? []);
  return delays.length ? Math.max(...delays) : undefined;
}

function cell(runs: MatrixRow[], kind: Kind): string {
  const latest = runs[runs.length - 1];
  const items = latest.measured.filter((m) => m.kind === kind && !m.negated && m.boundMs !== undefined);
  if (items.length === 0) return "-";
  return items
    .map((m) => {
      const w = worst(runs, m.text);
      const anchor = m.text.replace(/^.* of /, "");
      return `${m.board} ${m.event} ≤ ${sec(m.boundMs!)} of ${anchor}: **${w === undefined ? "missing" : (w / 1000).toFixed(2)}**`;
    })
    .join("<br>");
}

function guards(runs: MatrixRow[]): string {
  const items = runs[runs.length - 1].measured.filter((m) => m.negated);
  return items.length ? items.map((m) => `no ${m.board} ${m.event}`).join(", ") : "-";
}

function echoCell(runs: MatrixRow[]): string {
  const boards = runs[runs.length - 1].echo.map((e) => e.board);
  if (boards.length === 0) return "-";
  return boards
    .map((board) => {
      const all = runs.map((row) => row.echo.find((e) => e.board === board)).filter((e): e is EchoAccount => e !== undefined);
      const sum = (key: "sent" | "echoed" | "lost" | "dropped" | "unaccounted"): number => all.reduce((total, e) => total + e[key], 0);
      const dropped = sum("dropped") ? ` +${sum("dropped")} refused` : "";
      return `${board} ${sum("sent")}/${sum("echoed")}/${sum("lost")}${dropped}${sum("unaccounted") ? ` **${sum("unaccounted")} unaccounted**` : ""}`;
    })
    .join("<br>");
}

function silenceCell(runs: MatrixRow[]): string {
  const all = runs.flatMap((row) => row.silences);
  if (all.length === 0) return "-";
  const byLimit = new Map<string, Silence[]>();
  for (const s of all) {
    const key = `${s.timeoutMs}+${s.checkMs}`;
    byLimit.set(key, [...(byLimit.get(key) ?? []), s]);
  }
  return [...byLimit.values()]
    .map((list) => `${Math.min(...list.map((s) => s.silentMs))}-${Math.max(...list.map((s) => s.silentMs))} ms (${list.length}; limit ${list[0].timeoutMs}+${list[0].checkMs})`)
    .join("<br>");
}

/**
 * A markdown table, one line per scenario, worst figures over all the runs given (each run: every row of a matrix).
 * The last run names the scenarios and their expectations (the newest wording); older runs add their figures.
 */
export function markdownTable(runs: MatrixRow[][]): string {
  const scenarios = runs[runs.length - 1].map((row) => row.scenario);
  const lines = [
    "| fault | role under fault | verdict: bound and worst measured (s) | silence at a heartbeat verdict (board clock) | recovery: bound and worst measured (s) | must not happen | ECHO sent/echoed/lost (all runs) | runs passed |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const scenario of scenarios) {
    const rows = runs.map((run) => run.find((row) => row.scenario === scenario)).filter((row): row is MatrixRow => row !== undefined);
    const { fault, role } = rows[rows.length - 1];
    lines.push(
      `| ${fault} | ${role === "all" ? "all (network-wide)" : role} | ${cell(rows, "verdict")} | ${silenceCell(rows)} | ${cell(rows, "recovery")} | ${guards(rows)} | ${echoCell(rows)} | ${rows.filter((r) => r.passed).length}/${rows.length} |`,
    );
  }
  return lines.join("\n") + "\n";
}
