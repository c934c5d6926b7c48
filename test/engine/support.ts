// Running a lab scenario written inline in a test: parsed as if it were a file in test/engine/ (so `app fixtures/peer`
// points at the fixture app), run with no live output, and searched afterwards through its timed events.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LabEvent } from "../../host-sim/lab/events.ts";
import { runLab, type LabResult } from "../../host-sim/lab/lab.ts";
import { parseScenario } from "../../host-sim/lab/scenario.ts";
import { formatSummary } from "../../host-sim/lab/summary.ts";

export const labTestDir = dirname(fileURLToPath(import.meta.url));

/** Run `text` as a scenario. Every board process is stopped before this resolves or rejects. */
export async function runInline(name: string, text: string): Promise<LabResult> {
  const scenario = parseScenario(text, join(labTestDir, `${name}.lab`));
  return runLab(scenario, { seed: 7 });
}

/** Lines a board printed between two lab times whose text contains `text`. */
export function linesOf(result: LabResult, board: string, text: string, fromMs = -Infinity, toMs = Infinity): LabEvent[] {
  return result.events.filter((e) => e.board === board && e.name === "line" && e.t >= fromMs && e.t <= toMs && (e.text ?? "").includes(text));
}

/** The lab time of the first lab event called `name` (a fault or its end). */
export function labTime(result: LabResult, name: string): number {
  const event = result.events.find((e) => e.board === "lab" && e.name === name);
  assert.ok(event, `the lab recorded ${name}`);
  return event.t;
}

/** Every expectation of the scenario passed; on failure, the message holds the whole summary. */
export function assertPassed(result: LabResult): void {
  assert.ok(result.expectations.length > 0, "the scenario has expectations");
  assert.ok(result.passed, formatSummary(result.summary) + "\n" + result.events.filter((e) => e.name === "line" || e.name === "stderr" || e.board === "lab").map((e) => `${(e.t / 1000).toFixed(2)} ${e.board} ${e.text}`).join("\n"));
}
