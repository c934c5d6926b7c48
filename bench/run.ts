// `npm run bench`: every bench in turn, its tables on the terminal and its JSON in bench/results/<name>.json.
// Figures only: nothing here passes or fails on speed; the exit status is 1 only when a bench itself broke.
//
//   node --import ./host-sim/register.mjs bench/run.ts [--quick] [--soak] [--out DIR] [--only a,b] [--skip a,b]
//
// --quick shrinks trial counts and windows (a smoke run of a few seconds per bench; its figures are not to quote).
// --soak adds the 10-minute no-false-offline soak to the detection bench. The benches owned elsewhere
// (short-vs-persistent, xs-memory) run as child processes with their own command lines.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { detection } from "./detection/index.ts";
import { reconnect } from "./reconnect.ts";
import { throughput } from "./throughput.ts";
import { scale } from "./scale.ts";
import { uiRender } from "./ui-render.ts";
import { defaultOutDir, machine, parseFlags, printResult, repoDir, writeResult, type BenchOptions, type BenchResult } from "./support.ts";

type InProcess = { name: string; run: (options: BenchOptions) => Promise<BenchResult> };
type Child = { name: string; args: (options: BenchOptions) => string[] | string };

const inProcess: InProcess[] = [
  { name: "detection", run: detection },
  { name: "reconnect", run: reconnect },
  { name: "throughput", run: throughput },
  { name: "scale", run: scale },
  { name: "ui-render", run: uiRender },
];

/** Benches written by others, run as they are (their own argv conventions). A string = why it is skipped. */
const children: Child[] = [
  {
    name: "short-vs-persistent",
    args: (o) => {
      if (o.outDir !== defaultOutDir) return "it writes only bench/results/short-vs-persistent.json, and --out asks for another directory";
      return ["bench/short-vs-persistent.ts", ...(o.quick ? ["messages=20", "delays=0"] : [])];
    },
  },
  {
    name: "xs-memory",
    args: (o) => (o.quick ? "--quick: it takes about a minute (10,000 heartbeat cycles on the XS engine)" : ["bench/xs-memory.ts", "--json", join(o.outDir, "xs-memory.json")]),
  },
];

function runChild(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "./host-sim/register.mjs", ...args], { cwd: repoDir, stdio: ["ignore", "inherit", "inherit"] });
    child.once("exit", (code) => resolve(code ?? 1));
    child.once("error", () => resolve(1));
  });
}

async function main(): Promise<number> {
  const options = parseFlags(process.argv.slice(2));
  const wanted = (name: string): boolean => (!options.only || options.only.includes(name)) && !options.skip.includes(name);
  const m = machine();
  process.stdout.write(
    `linklab benches${options.quick ? " (--quick: smoke figures, not to quote)" : ""}\n` +
      `machine: nproc=${m.nproc} cpu="${m.cpuModel}" mem: ${m.memory} node=${m.node} kernel=${m.kernel} load=${m.loadAverage.join(" ")} ulimit -n=${m.openFilesLimit}\n` +
      `results: ${options.outDir}\n\n`,
  );
  const summary: { name: string; status: string; ms: number }[] = [];
  for (const bench of inProcess) {
    if (!wanted(bench.name)) continue;
    process.stdout.write(`== ${bench.name}\n`);
    const started = performance.now();
    try {
      const result = await bench.run(options);
      printResult(result);
      const file = writeResult(options.outDir, result, {
        quick: options.quick,
        command: `node --import ./host-sim/register.mjs bench/run.ts ${process.argv.slice(2).join(" ")}`.trim(),
        durationMs: performance.now() - started,
      });
      process.stdout.write(`JSON: ${file}\n\n`);
      summary.push({ name: bench.name, status: "ok", ms: performance.now() - started });
    } catch (error) {
      process.stdout.write(`${bench.name} broke: ${(error as Error).stack ?? String(error)}\n\n`);
      summary.push({ name: bench.name, status: "broke", ms: performance.now() - started });
    }
  }
  for (const bench of children) {
    if (!wanted(bench.name)) continue;
    process.stdout.write(`== ${bench.name}\n`);
    const args = bench.args(options);
    if (typeof args === "string") {
      process.stdout.write(`skipped: ${args}\n\n`);
      summary.push({ name: bench.name, status: "skipped", ms: 0 });
      continue;
    }
    const started = performance.now();
    const code = await runChild(args);
    process.stdout.write("\n");
    summary.push({ name: bench.name, status: code === 0 ? "ok" : `exit ${code}`, ms: performance.now() - started });
  }
  process.stdout.write(summary.map((s) => `${s.name}: ${s.status} (${Math.round(s.ms / 100) / 10} s)`).join("\n") + "\n");
  return summary.some((s) => s.status !== "ok" && s.status !== "skipped") ? 1 : 0;
}

process.exit(await main());
