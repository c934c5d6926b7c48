// Building a Moddable app with the user's SDK: `mcconfig -m -p <platform> -t build -o <out> key=value...`, run in
// the app directory (mcconfig reads ./manifest.json). `-t build` only builds: without it a debug lin build also
// runs `pkill mcsim` and launches xsbug. Output goes to a directory of ours under the OS temp directory, never into
// the SDK or the app; the XS engine is compiled once per app there (about 35 s), later builds take seconds.
// A failed build is summed up in one line (the first compiler error) with the full log kept beside it.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { checkTsc, sdkEnv, type Sdk } from "./sdk.ts";

export type Platform = "lin" | "esp32";

export interface BuildOptions {
  appDir: string;
  platform?: Platform;
  /** mcconfig `-d`: debug build (xsbug protocol, instrumentation lines every second). */
  debug?: boolean;
  /** key=value words, passed to mcconfig as written (it puts them into mc/config as strings). */
  overrides?: Record<string, string>;
}

export interface BuildResult {
  ok: boolean;
  /** The built image: mc.so for lin (copied per configuration, so several can run at once). */
  image?: string;
  /** One line: what failed, or what was built. */
  summary: string;
  /** The whole mcconfig/make output, and where it was saved. */
  log: string;
  logFile: string;
  ms: number;
  /** mcconfig's per-file tsconfigs (one per .ts module, extending its tsconfig-base.json), for a re-check. */
  tsconfigs: string[];
}

/** Builds into one directory at a time (mcconfig's makefiles are not safe to run twice in parallel on one tree). */
const queues = new Map<string, Promise<unknown>>();

function outputDir(sdk: Sdk, appDir: string): string {
  const hash = createHash("sha256").update(sdk.root + "\0" + appDir).digest("hex").slice(0, 10);
  return join(tmpdir(), "linklab-moddable", `${basename(appDir)}-${hash}`);
}

/** The line that says why a build failed: the first compiler, linker or mcconfig error in its output. */
export function firstError(log: string): string | undefined {
  const lines = log.split("\n").map((line) => line.trim());
  const patterns = [/error TS\d+:/, /^### error/, /: error:/, /^# (mcconfig|mcrun) error/i, /^Error:/, /error: /i, /\*\*\*/, /compile failure/];
  for (const pattern of patterns) {
    const hit = lines.find((line) => pattern.test(line));
    if (hit) {
      const tsErrors = lines.filter((line) => /error TS\d+:/.test(line)).length;
      return tsErrors > 1 && /error TS\d+:/.test(hit) ? `${hit} (and ${tsErrors - 1} more TypeScript errors)` : hit;
    }
  }
  return undefined;
}

export function buildApp(sdk: Sdk, options: BuildOptions): Promise<BuildResult> {
  const appDir = resolve(options.appDir);
  const out = outputDir(sdk, appDir);
  const previous = queues.get(out) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(() => runBuild(sdk, appDir, out, options));
  queues.set(out, next);
  return next;
}

async function runBuild(sdk: Sdk, appDir: string, out: string, options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const platform = options.platform ?? "lin";
  const env = sdkEnv(sdk);
  const logFile = join(out, `build-${platform}.log`);
  mkdirSync(out, { recursive: true });
  const done = (ok: boolean, summary: string, log: string, image?: string): BuildResult => {
    writeFileSync(logFile, log);
    return { ok, image, summary, log, logFile, ms: Math.round(performance.now() - started), tsconfigs: tsconfigsIn(join(out, "tmp", platform)) };
  };
  if (!existsSync(join(appDir, "manifest.json"))) return done(false, `no manifest.json in ${appDir}`, "");
  const tsc = checkTsc(env);
  if (tsc) return done(false, tsc, "");
  if (platform === "esp32" && !env.IDF_PATH)
    return done(false, "an esp32 build needs ESP-IDF v6.0: $IDF_PATH is unset (docs/flashing.md, section 1)", "");
  const words = Object.entries(options.overrides ?? {}).map(([key, value]) => `${key}=${value}`);
  const args = [...(options.debug ? ["-d"] : []), "-m", "-p", platform, "-t", "build", "-o", out, ...words];
  const { code, output } = await run(join(sdk.binDir, "mcconfig"), args, appDir, env);
  const kind = options.debug ? "debug" : "release";
  const built = platform === "lin" ? join(out, "bin", "lin", "mc", kind, basename(appDir), "mc.so") : undefined;
  if (code !== 0 || (built && !existsSync(built))) {
    const why = firstError(output) ?? `mcconfig exited with status ${code}`;
    return done(false, `build failed: ${why} (full log: ${logFile})`, output);
  }
  let image = built;
  if (built) {
    // One copy per configuration: the next build overwrites mc.so, a running board must keep its own.
    const key = createHash("sha256").update(JSON.stringify([platform, kind, words])).digest("hex").slice(0, 10);
    mkdirSync(join(out, "images"), { recursive: true });
    image = join(out, "images", `${key}.so`);
    copyFileSync(built, image);
  }
  return done(true, `built ${basename(appDir)} for ${platform} (${kind}) with Moddable SDK ${sdk.version}${image ? `: ${image}` : ""}`, output, image);
}

/** Every per-file tsconfig mcconfig generated under a directory (not its tsconfig-base.json or tsconfig-js.json). */
function tsconfigsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    if (entry.endsWith("-tsconfig.json")) found.push(join(dir, entry));
  }
  return found.sort();
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", (error) => {
      output += `\nError: ${error.message}`;
    });
    child.on("close", (code) => resolvePromise({ code, output }));
  });
}
