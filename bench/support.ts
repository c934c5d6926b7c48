// Shared pieces of the benches: command-line flags (--quick, --soak, --out), order statistics, fixed-width tables
// for the terminal, the machine the figures came from, and one JSON file per bench in bench/results/. Benches
// report figures; nothing here ever judges speed.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const defaultOutDir = join(repoDir, "bench", "results");

export interface BenchOptions {
  /** Shrunk trial counts and windows: a smoke test, not figures to quote. */
  quick: boolean;
  /** Run the opt-in 10-minute soak (detection only). */
  soak: boolean;
  /** Where the JSON results go. */
  outDir: string;
  /** Live progress lines on stderr. */
  progress: (line: string) => void;
}

/** `--quick`, `--soak`, `--out DIR` (and `--only a,b` for run.ts) from argv. */
export function parseFlags(argv: string[]): BenchOptions & { only?: string[]; skip: string[] } {
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    if (at >= 0) return argv[at + 1];
    const eq = argv.find((a) => a.startsWith(name + "="));
    return eq?.slice(name.length + 1);
  };
  const list = (name: string): string[] | undefined => value(name)?.split(",").map((s) => s.trim()).filter(Boolean);
  const quiet = argv.includes("--quiet");
  return {
    quick: argv.includes("--quick"),
    soak: argv.includes("--soak"),
    outDir: resolve(value("--out") ?? defaultOutDir),
    only: list("--only"),
    skip: list("--skip") ?? [],
    progress: quiet ? () => {} : (line) => process.stderr.write(`  .. ${line}\n`),
  };
}

export interface Stats {
  n: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank quantile of an ascending array. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    min: round(sorted[0] ?? NaN),
    p50: round(quantile(sorted, 0.5)),
    p99: round(quantile(sorted, 0.99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    mean: round(sorted.length ? mean : NaN),
  };
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A fixed-width table, right-aligned, with a title line; also used as Markdown-ish text in docs. */
export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === "number" ? (Number.isFinite(c) ? String(c) : "-") : c)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [title, line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

export interface Machine {
  nproc: number;
  cpuModel: string;
  memory: string;
  memoryMiB: number;
  freeMiB: number;
  node: string;
  kernel: string;
  loadAverage: number[];
  openFilesLimit: number;
}

function sh(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

/** The machine: `nproc`, `free -h`, the node version, the CPU model from /proc/cpuinfo, load and `ulimit -n`. */
export function machine(): Machine {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    const found = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (found) cpuModel = found[1].trim();
  } catch {
    // not Linux: keep os.cpus()'s model
  }
  const free = sh("free", ["-h"])?.split("\n")[1]?.trim().replace(/\s+/g, " ");
  return {
    nproc: Number(sh("nproc", [])) || cpus().length,
    cpuModel,
    memory: free ?? `${Math.round(totalmem() / 1048576)} MiB total`,
    memoryMiB: Math.round(totalmem() / 1048576),
    freeMiB: Math.round(freemem() / 1048576),
    node: process.version,
    kernel: release(),
    loadAverage: loadavg().map((l) => round(l, 2)),
    openFilesLimit: openFilesLimit(),
  };
}

/** The soft limit on open files (`ulimit -n`). */
export function openFilesLimit(): number {
  const fromShell = Number(sh("sh", ["-c", "ulimit -n"]));
  if (Number.isFinite(fromShell) && fromShell > 0) return fromShell;
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const found = /^Max open files\s+(\d+)/m.exec(limits);
    if (found) return Number(found[1]);
  } catch {
    // unknown
  }
  return 1024;
}

/** What a bench hands back: its tables for the terminal and the figures for JSON. */
export interface BenchResult {
  name: string;
  tables: string[];
  notes: string[];
  data: Record<string, unknown>;
}

/** Write bench/results/<name>.json (or into --out) with the command, the machine and the figures. */
export function writeResult(outDir: string, result: BenchResult, options: { quick: boolean; command: string; durationMs: number }): string {
  const file = join(outDir, `${result.name}.json`);
  mkdirSync(outDir, { recursive: true });
  const body = {
    bench: result.name,
    date: new Date().toISOString(),
    command: options.command,
    quick: options.quick,
    durationMs: Math.round(options.durationMs),
    machine: machine(),
    notes: result.notes,
    ...result.data,
  };
  writeFileSync(file, JSON.stringify(body, null, 2) + "\n");
  return file;
}

export function printResult(result: BenchResult): void {
  const out: string[] = [];
  for (const t of result.tables) out.push(t, "");
  for (const n of result.notes) out.push("note: " + n);
  process.stdout.write(out.join("\n") + (result.notes.length ? "\n" : "") + "\n");
}

/** A promise that resolves after ms (between trials and for staggering, never to wait for an event). */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `promise`'s value, or undefined when it has not settled within ms. */
export function deadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]).finally(() => clearTimeout(timer));
}

/** Run a standalone bench file: flags from argv, print, write JSON, exit. */
export async function standalone(name: string, run: (options: BenchOptions) => Promise<BenchResult>, file = name): Promise<void> {
  const options = parseFlags(process.argv.slice(2));
  const started = performance.now();
  const result = await run(options);
  printResult(result);
  const written = writeResult(options.outDir, result, {
    quick: options.quick,
    command: `node --import ./host-sim/register.mjs bench/${file}.ts ${process.argv.slice(2).join(" ")}`.trim(),
    durationMs: performance.now() - started,
  });
  process.stdout.write(`JSON: ${written}\n`);
}

/** True when `url` (import.meta.url) is the file node was started with. */
export function isMain(url: string): boolean {
  return Boolean(process.argv[1]) && resolve(process.argv[1]) === fileURLToPath(url);
}
