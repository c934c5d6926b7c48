// The scenario library, run again and again: every scenario of host-sim/scenarios/ (and, with --matrix, the fault
// matrix in host-sim/scenarios/matrix/) as `linklab lab <file> --seed S`, each in its own process, a few at a time,
// as a newcomer runs them. It reports how many runs of each passed and, for a failure, the expectations that failed.
// A reliability figure, never a test: a scenario that fails here has two possible outcomes and needs retiming.
//
//   node --import ./host-sim/register.mjs bench/library-runs.ts [--runs 30] [--parallel 2] [--minutes 60]
//        [--matrix] [--only default,idle-firewall] [--json FILE]
//
// Bounded: at most --runs passes over the library and no new run after --minutes; each run is killed at its
// scenario's duration plus 90 s. Run r uses seed r + 1, so run 0 is exactly what `npm start` shows.
import { spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadScenario } from "../host-sim/lab/scenario.ts";
import { repoDir } from "./support.ts";

const argv = process.argv.slice(2);
const value = (name: string, fallback: string): string => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1] : fallback;
};
const runs = Number(value("--runs", "30"));
const parallel = Number(value("--parallel", "2"));
const minutes = Number(value("--minutes", "60"));
const only = argv.includes("--only") ? value("--only", "").split(",").filter(Boolean) : undefined;
const jsonFile = argv.includes("--json") ? value("--json", "") : undefined;
for (const [name, n] of [["--runs", runs], ["--parallel", parallel], ["--minutes", minutes]] as const) {
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`library-runs: ${name} needs a positive integer\n`);
    process.exit(2);
  }
}

const scenariosDir = join(repoDir, "host-sim", "scenarios");
const files = [
  ...readdirSync(scenariosDir).filter((f) => f.endsWith(".lab")).map((f) => join(scenariosDir, f)),
  ...(argv.includes("--matrix") ? readdirSync(join(scenariosDir, "matrix")).filter((f) => f.endsWith(".lab")).map((f) => join(scenariosDir, "matrix", f)) : []),
]
  .filter((f) => !only || only.some((name) => f.endsWith(`/${name}.lab`)))
  .sort();
const durationMs = new Map(files.map((f) => [f, loadScenario(f).durationMs]));
const nameOf = (file: string): string => file.slice(scenariosDir.length + 1).replace(/\.lab$/, "");

type Outcome = { scenario: string; run: number; seed: number; passed: boolean; exit: number | null; ms: number; failed: string[] };
const outcomes: Outcome[] = [];

function runOnce(file: string, run: number): Promise<Outcome> {
  const seed = run + 1;
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoDir, "host-sim", "bin.mjs"), "lab", file, "--seed", String(seed)], { cwd: repoDir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const limit = setTimeout(() => child.kill("SIGTERM"), durationMs.get(file)! + 90_000);
    child.on("close", (exit) => {
      clearTimeout(limit);
      // The summary marks a failed expectation with FAIL (host-sim/lab/summary.ts); keep those lines.
      const failed = output.split("\n").filter((line) => /\bFAIL\b/.test(line)).map((line) => line.trim());
      resolve({ scenario: nameOf(file), run, seed, passed: exit === 0, exit, ms: Date.now() - started, failed });
    });
  });
}

const deadline = Date.now() + minutes * 60_000;
const queue: { file: string; run: number }[] = [];
for (let run = 0; run < runs; run++) for (const file of files) queue.push({ file, run });
let completedPasses = 0;

async function worker(): Promise<void> {
  for (let job = queue.shift(); job && Date.now() < deadline; job = queue.shift()) {
    const outcome = await runOnce(job.file, job.run);
    outcomes.push(outcome);
    const done = outcomes.filter((o) => o.run === job.run).length;
    if (done === files.length) completedPasses++;
    process.stderr.write(`  .. run ${outcome.run + 1} ${outcome.scenario}: ${outcome.passed ? "passed" : `FAILED (exit ${outcome.exit})`} in ${(outcome.ms / 1000).toFixed(1)} s${outcome.failed.length ? "\n       " + outcome.failed.join("\n       ") : ""}\n`);
  }
}

const startedAt = new Date().toISOString();
await Promise.all(Array.from({ length: parallel }, () => worker()));

const rows = files.map((file) => {
  const mine = outcomes.filter((o) => o.scenario === nameOf(file));
  return { scenario: nameOf(file), runs: mine.length, passed: mine.filter((o) => o.passed).length };
});
const width = Math.max(...rows.map((r) => r.scenario.length), 8);
process.stdout.write(`\nscenario library, ${parallel} at a time, seeds 1..${runs}, started ${startedAt}\n`);
for (const r of rows) process.stdout.write(`${r.scenario.padEnd(width)}  ${r.passed}/${r.runs} passed\n`);
const failures = outcomes.filter((o) => !o.passed);
process.stdout.write(`${completedPasses} complete passes over ${files.length} scenarios; ${outcomes.length} runs, ${failures.length} failed${queue.length ? `; stopped by --minutes ${minutes} with ${queue.length} runs not started` : ""}\n`);
for (const f of failures) process.stdout.write(`  failed: ${f.scenario} run ${f.run + 1} (seed ${f.seed}): ${f.failed.join(" | ") || `exit ${f.exit}`}\n`);
if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ startedAt, parallel, runs, minutes, completedPasses, rows, failures }, null, 2) + "\n");
