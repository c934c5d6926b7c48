// Finding a user's Moddable SDK: `$MODDABLE` (the SDK's own convention), else where xs-dev installs it
// (~/.local/share/moddable: xs-dev src/toolbox/setup/constants.ts, INSTALL_DIR). Nothing of the SDK is in this
// repository; every function here reports what is missing in one line instead of throwing deep inside a build.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The SDK release linklab's manifest is written and checked against. */
export const SDK_RELEASE = "8.2.3";
/** mcconfig runs `tsc` from PATH and writes target es2025, which TypeScript 6.0 is the first to accept. */
export const TSC_MAJOR_MIN = 6;

const repoDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface Sdk {
  /** $MODDABLE: the SDK's root. */
  root: string;
  /** Its release from tools/VERSION, e.g. "8.2.3". */
  version: string;
  /** build/bin/lin/release: mcconfig, mcsim and the other host tools. */
  binDir: string;
  /** Where it was found, for messages: "$MODDABLE" or "xs-dev's place". */
  foundBy: string;
}

/** Where xs-dev installs the SDK on Linux and macOS. */
export const XS_DEV_DIR = join(homedir(), ".local", "share", "moddable");

/** The SDK to use, or a one-line reason why there is none (and how to get one). */
export function findSdk(env: NodeJS.ProcessEnv = process.env): Sdk | { missing: string } {
  const candidates: [string, string][] = env.MODDABLE ? [[env.MODDABLE, "$MODDABLE"]] : [[XS_DEV_DIR, "xs-dev's place"]];
  const [root, foundBy] = candidates[0];
  const where = env.MODDABLE ? `$MODDABLE (${root})` : `$MODDABLE (unset) or ${XS_DEV_DIR}`;
  if (!existsSync(join(root, "xs", "includes", "xs.d.ts"))) return { missing: `no Moddable SDK at ${where}: see docs/flashing.md, "The Moddable SDK"` };
  const binDir = join(root, "build", "bin", "lin", "release");
  if (!existsSync(join(binDir, "mcconfig")))
    return { missing: `the Moddable SDK at ${root} is not built (no build/bin/lin/release/mcconfig): run make -C ${join(root, "build", "makefiles", "lin")}` };
  let version = "unknown";
  try {
    version = readFileSync(join(root, "tools", "VERSION"), "utf8").trim();
  } catch {
    // an SDK older than tools/VERSION
  }
  return { root, version, binDir, foundBy };
}

export function isSdk(found: Sdk | { missing: string }): found is Sdk {
  return "root" in found;
}

/**
 * The environment mcconfig and mcsim run in: MODDABLE set, the SDK's tools and this repository's pinned tsc first
 * on PATH (mcconfig runs whatever `tsc` it finds).
 */
export function sdkEnv(sdk: Sdk, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const path = [join(repoDir, "node_modules", ".bin"), sdk.binDir, env.PATH ?? ""].filter(Boolean).join(delimiter);
  return { ...env, MODDABLE: sdk.root, PATH: path };
}

/** The major version of the tsc mcconfig will run, or a one-line reason it will not do. */
export function checkTsc(env: NodeJS.ProcessEnv): string | undefined {
  let out: string;
  try {
    out = execFileSync("tsc", ["--version"], { env, encoding: "utf8" });
  } catch {
    return "no tsc on PATH: mcconfig compiles .ts files with it (npm ci installs TypeScript 6.0 into node_modules/.bin)";
  }
  const major = Number(/Version (\d+)\./.exec(out)?.[1]);
  if (!(major >= TSC_MAJOR_MIN)) return `tsc on PATH is ${out.trim()}; mcconfig needs TypeScript ${TSC_MAJOR_MIN}.0 or later (it writes target es2025)`;
  return undefined;
}

/** Whether a program is on PATH (xvfb-run for mcsim, for example). */
export function onPath(program: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, program)));
}
