// Judging one expectation against the timed events of a run: which anchor occurrences there were, whether the
// board event came (or, for `no`, stayed away) inside each window, and how long after the anchor it came.
import type { LabEvent } from "./events.ts";
import type { Expectation, Scenario } from "./scenario.ts";

export interface ExpectationResult {
  text: string;
  /** The scenario's comment above this expectation, if any. */
  group?: string;
  line: number;
  passed: boolean;
  /** What was observed, in words: "after 0.41s", "none within 2s of wifi-restore c1 at 11.0s", ... */
  detail: string;
  /** For a positive expectation with an anchor: the delay from each anchor to the first matching event. */
  delaysMs: number[];
}

const s = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;

export function matches(event: LabEvent, expectation: Expectation): boolean {
  if (event.board !== expectation.board) return false;
  const { name, args } = expectation.event;
  if (name === "log") return event.name === "line" && (event.text ?? "").includes(args[0]);
  if (event.name !== name) return false;
  if (args.length === 0) return true;
  return event.args[0] === args[0];
}

/** Times of the anchor an expectation is measured from. */
export function anchorTimes(expectation: Expectation, events: LabEvent[]): number[] {
  if (expectation.window.kind !== "after") return [];
  const { name, args } = expectation.window.anchor;
  // Boots once the lab clock runs (a reboot, a power-on); the first boot of every board is before the clock starts.
  if (name === "boot") return events.filter((e) => e.name === "boot" && e.board === args[0] && e.t >= 0).map((e) => e.t);
  return events
    .filter((e) => {
      if (e.board !== "lab" || e.name !== name) return false;
      if (args.length === 0) return true;
      if (args.length === 2 && e.args.length === 2) return (e.args[0] === args[0] && e.args[1] === args[1]) || (e.args[0] === args[1] && e.args[1] === args[0]);
      return e.args.join(" ") === args.join(" ");
    })
    .map((e) => e.t);
}

export function judge(expectation: Expectation, events: LabEvent[], scenario: Scenario): ExpectationResult {
  const base = { text: expectation.text, ...(expectation.group ? { group: expectation.group } : {}), line: expectation.line, delaysMs: [] as number[] };
  const endMs = events.find((e) => e.board === "lab" && e.name === "end")?.t ?? scenario.durationMs;
  const hits = events.filter((e) => matches(e, expectation) && e.t <= endMs);
  const what = `${expectation.event.name}${expectation.event.args.length ? " " + expectation.event.args.join(" ") : ""}`;
  const window = expectation.window;

  if (window.kind === "run" || window.kind === "between" || window.kind === "by") {
    const from = window.kind === "between" ? window.fromMs : -Infinity;
    const to = window.kind === "run" ? endMs : window.toMs;
    const inside = hits.filter((e) => e.t >= from && e.t <= to);
    const where = window.kind === "between" ? ` between ${s(from)} and ${s(to)}` : window.kind === "by" ? ` by ${s(to)}` : " during the run";
    if (expectation.negated)
      return inside.length === 0
        ? { ...base, passed: true, detail: `none${where}` }
        : { ...base, passed: false, detail: `${inside.length}× ${what}${where}, first at ${s(inside[0].t)}` };
    return inside.length > 0
      ? { ...base, passed: true, detail: `at ${s(inside[0].t)}` }
      : { ...base, passed: false, detail: `no ${what} on ${expectation.board}${where}` };
  }

  const anchorName = [window.anchor.name, ...window.anchor.args].join(" ");
  const anchors = anchorTimes(expectation, events);
  if (anchors.length === 0) return { ...base, passed: false, detail: `${anchorName} never happened (the run ended first?)` };
  const delays: number[] = [];
  for (const at of anchors) {
    const first = hits.find((e) => e.t >= at);
    const inWindow = first !== undefined && first.t - at <= window.withinMs;
    if (expectation.negated) {
      if (inWindow) return { ...base, passed: false, detail: `${what} ${s(first.t - at)} after ${anchorName} at ${s(at)}` };
      continue;
    }
    if (!inWindow) {
      const later = first ? ` (it came ${s(first.t - at)} after)` : at + window.withinMs > endMs ? " (the run ended first)" : " (never came)";
      return { ...base, passed: false, delaysMs: delays, detail: `no ${what} within ${s(window.withinMs)} of ${anchorName} at ${s(at)}${later}` };
    }
    delays.push(first.t - at);
  }
  if (expectation.negated) return { ...base, passed: true, detail: `none within ${s(window.withinMs)} of ${anchorName}` };
  return { ...base, passed: true, delaysMs: delays.map(Math.round), detail: `after ${delays.map(s).join(", ")}` };
}
