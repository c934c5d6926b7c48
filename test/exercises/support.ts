// The lab exercises (docs/labs/N-*.md) and their scenarios (host-sim/scenarios/lab-N.lab), found on disk, and one
// shared run of each scenario for every test that needs it (runs take seconds, so each runs once per mocha process,
// at most two at a time so their timing is not starved on a small machine).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runLab, type LabResult } from "../../host-sim/lab/lab.ts";
import { loadScenario } from "../../host-sim/lab/scenario.ts";
import type { RunLine } from "./quotes.ts";

export const repoDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const labsDir = join(repoDir, "docs", "labs");
export const scenariosDir = join(repoDir, "host-sim", "scenarios");

export interface Exercise {
  number: number;
  /** docs/labs/N-name.md, relative to the repository. */
  doc: string;
  markdown: string;
  /** host-sim/scenarios/lab-N.lab, absolute. */
  scenarioFile: string;
}

export function exercises(): Exercise[] {
  if (!existsSync(labsDir)) return [];
  return readdirSync(labsDir)
    .map((name) => ({ name, match: /^(\d+)-[\w-]+\.md$/.exec(name) }))
    .filter((entry) => entry.match)
    .map(({ name, match }) => {
      const number = Number(match![1]);
      return {
        number,
        doc: `docs/labs/${name}`,
        markdown: readFileSync(join(labsDir, name), "utf8"),
        scenarioFile: join(scenariosDir, `lab-${number}.lab`),
      };
    })
    .sort((a, b) => a.number - b.number);
}

/**
 * Why the simulator cannot run the labs yet, or undefined when it can: every Moddable module the loader binds
 * (host-sim/loader.mjs) must exist in host-sim/runtime/.
 */
export async function simulatorMissing(): Promise<string | undefined> {
  const loader = (await import(join(repoDir, "host-sim", "loader.mjs"))) as { moddableModules: Record<string, string> };
  const missing = Object.entries(loader.moddableModules).filter(([, file]) => !existsSync(join(repoDir, "host-sim", file)));
  if (missing.length === 0) return undefined;
  return `the simulator runtime is not complete yet: ${missing.map(([name, file]) => `${name} (host-sim/${file})`).join(", ")} missing`;
}

const runs = new Map<string, Promise<LabResult>>();
const queue: (() => void)[] = [];
let running = 0;
const MAX_PARALLEL = 2;

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    queue.shift()?.();
  }
}

/** Whether the shared run of a scenario file has been started already. */
export function started(file: string): boolean {
  return runs.has(file);
}

/** The run of a scenario file, started on first request and shared afterwards. */
export function runScenario(file: string): Promise<LabResult> {
  let run = runs.get(file);
  if (!run) {
    run = slot(() => runLab(loadScenario(file), { seed: 1 }));
    run.catch(() => undefined);
    runs.set(file, run);
  }
  return run;
}

/** Every line of a run, as the quote matcher reads them: board serial lines and the lab's own lines. */
export function runLines(result: LabResult): RunLine[] {
  return result.events
    .filter((e) => (e.name === "line" && e.board !== "lab") || (e.board === "lab" && e.text !== undefined))
    .map((e) => ({ board: e.board, text: e.text ?? "" }));
}
