// `linklab lab [scenario] [--json FILE] [--seed N] [--debug]`: run a lab scenario with live, board-prefixed logs (coloured and
// with a progress line on a terminal, plain when piped), then the summary. Exit 0 = every expectation passed,
// 1 = one failed, 2 = the scenario or the command line is wrong (one line that points at the problem).
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LabError, runLab, type LabOutput } from "./lab.ts";
import { loadScenario, ScenarioError, type Scenario } from "./scenario.ts";
import { formatSummary } from "./summary.ts";

export const scenariosDir = join(dirname(fileURLToPath(import.meta.url)), "..", "scenarios");

const usage = "usage: linklab lab [scenario] [--json FILE] [--seed N] [--debug] [--ui] [--net kernel] [--capture DIR] | linklab lab --list   (scenario: a name in host-sim/scenarios/ or a path)";

/** `--list`: each scenario in the library with its title. */
function list(): void {
  for (const file of readdirSync(scenariosDir).filter((f) => f.endsWith(".lab")).sort()) {
    let title: string;
    try {
      title = loadScenario(join(scenariosDir, file)).title;
    } catch (error) {
      title = `(broken: ${(error as Error).message})`;
    }
    process.stdout.write(`${file.replace(/\.lab$/, "").padEnd(14)} ${title}\n`);
  }
}
const COLORS = [36, 33, 35, 32, 34, 91, 96, 93];

/** A scenario argument: an existing path, or the name of a file in host-sim/scenarios/ (with or without .lab). */
export function findScenario(arg: string | undefined): string {
  if (arg === undefined) return join(scenariosDir, "default.lab");
  if (existsSync(arg)) return resolve(arg);
  const named = join(scenariosDir, arg.endsWith(".lab") ? arg : `${arg}.lab`);
  if (existsSync(named)) return named;
  throw new ScenarioError(`no scenario '${arg}' (not a file, and not in host-sim/scenarios/)`);
}

/** D-level lines are hidden from the live view unless --debug (the summary counts them either way). */
const DEBUG_LINE = /^\s*\d+ D /;

function terminalOutput(scenario: Scenario, stream: NodeJS.WriteStream, debug: boolean): LabOutput {
  const tty = stream.isTTY === true && !process.env.NO_COLOR;
  const width = Math.max(...scenario.boards.map((b) => b.id.length), 3);
  let progress = "";
  const write = (text: string): void => {
    if (tty && progress) stream.write("\r\x1b[K");
    stream.write(text + "\n");
    if (tty && progress) stream.write(progress);
  };
  const next = (t: number): string => {
    const step = scenario.timeline.find((s) => s.atMs > t);
    if (!step) return "no more faults";
    return `next: ${step.text} at ${step.atMs / 1000}s`;
  };
  return {
    boardLine(board, index, text, stream, t) {
      if (!debug && DEBUG_LINE.test(text)) return;
      const name = board.padEnd(width);
      const prefix = tty ? `\x1b[${COLORS[index % COLORS.length]}m${name}\x1b[0m` : name;
      const clock = t < 0 ? "  boot" : (t / 1000).toFixed(1).padStart(6);
      write(`${clock} ${prefix} ${stream === "stderr" ? "! " : "| "}${text}`);
    },
    labLine(text, t) {
      const line = `${(Math.max(0, t) / 1000).toFixed(1).padStart(6)} ${"lab".padEnd(width)} * ${text}`;
      write(tty ? `\x1b[1m${line}\x1b[0m` : line);
    },
    booting(ready, total) {
      if (!tty) return;
      progress = `\x1b[7m booting: ${ready} of ${total} boards up \x1b[0m`;
      stream.write("\r\x1b[K" + progress);
    },
    tick(t) {
      if (!tty) return;
      const total = scenario.durationMs / 1000;
      const done = Math.min(1, t / scenario.durationMs);
      const bar = "#".repeat(Math.round(done * 20)).padEnd(20, ".");
      progress = `\x1b[7m [${bar}] ${(t / 1000).toFixed(0)}s / ${total}s  ${next(t)} \x1b[0m`;
      stream.write("\r\x1b[K" + progress);
    },
  };
}

export async function main(args: string[]): Promise<void> {
  let scenarioArg: string | undefined;
  let jsonFile: string | undefined;
  let seed: number | undefined;
  let debug = false;
  let ui = false;
  let net: "runtime" | "kernel" | undefined;
  let captureDir: string | undefined;
  try {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg === "--json") {
        jsonFile = args[++i];
        if (!jsonFile) throw new ScenarioError("--json needs a file name");
      } else if (arg === "--seed") {
        seed = Number(args[++i]);
        if (!Number.isInteger(seed)) throw new ScenarioError("--seed needs an integer");
      } else if (arg === "--list") {
        list();
        return;
      } else if (arg === "--debug") {
        debug = true;
      } else if (arg === "--ui") {
        ui = true;
      } else if (arg === "--net") {
        const mode = args[++i];
        if (mode !== "kernel" && mode !== "runtime") throw new ScenarioError("--net needs 'kernel' (each board in its own network namespace, faults made by the kernel) or 'runtime' (the default)");
        net = mode;
      } else if (arg === "--capture") {
        captureDir = args[++i];
        if (!captureDir) throw new ScenarioError("--capture needs a directory");
      } else if (arg === "-h" || arg === "--help") {
        process.stdout.write(usage + "\n");
        return;
      } else if (arg.startsWith("-")) throw new ScenarioError(`unknown option '${arg}'`);
      else if (scenarioArg === undefined) scenarioArg = arg;
      else throw new ScenarioError(`one scenario at a time (got '${scenarioArg}' and '${arg}')`);
    }
    const scenario = loadScenario(findScenario(scenarioArg), net);
    // Kernel mode without root: this same command again, inside a user namespace of its own (docs/kernel.md).
    if ((net ?? scenario.net) === "kernel") {
      const status = await (await import("../netns/unprivileged.ts")).reexecInUserNamespace();
      if (status !== undefined) {
        process.exitCode = status;
        return;
      }
    }
    const stream = process.stdout;
    // --ui: a live page of the run (host-sim/ui/), on 127.0.0.1 at a free port that it prints.
    const live = ui ? await (await import("../ui/live.ts")).startLive(scenario, (text) => stream.write(text + "\n")) : undefined;
    const output = live ? live.wrap(terminalOutput(scenario, stream, debug)) : terminalOutput(scenario, stream, debug);
    // Ctrl-C ends the run early but still stops every board (runLab's finally) via process exit hooks.
    const interrupt = (): never => process.exit(130);
    process.once("SIGINT", interrupt);
    // A run that cannot go on (a board never booted) also stops the page's server, so the command ends.
    const result = await runLab(scenario, { output, seed, net, captureDir: captureDir && resolve(captureDir) }).catch(async (error: unknown) => {
      await live?.stop();
      throw error;
    });
    if (stream.isTTY) stream.write("\r\x1b[K");
    stream.write(formatSummary(result.summary, { color: stream.isTTY === true && !process.env.NO_COLOR }));
    if (result.kernel) {
      // Kernel mode: what the kernels did on the wire, read from the captures (host-sim/netns/view.ts).
      stream.write(["", "The kernel's view (from each board's capture):", ...result.kernel.lines.map((line) => `  ${line}`), ""].join("\n") + "\n");
      if (result.kernel.captures.length) stream.write(`captures: ${result.kernel.captures.join(" ")}\n`);
    }
    // The summary, and the run itself (`run`: header and events) for the page's replay and `linklab report`.
    if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ ...result.summary, run: (await import("../ui/record.ts")).recordOf(result) }, null, 2) + "\n");
    process.exitCode = result.passed ? 0 : 1;
    if (live) {
      process.off("SIGINT", interrupt);
      await live.finish(result);
    }
  } catch (error) {
    if (error instanceof LabError) {
      process.stderr.write(`\nlinklab lab: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    if (!(error instanceof ScenarioError)) throw error;
    process.stderr.write(`linklab lab: ${error.message}\n${error.message.startsWith("usage") ? "" : usage + "\n"}`);
    process.exitCode = 2;
  }
}
