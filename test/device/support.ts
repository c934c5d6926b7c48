// The device suite's shared parts: the user's Moddable SDK (or why there is none), image builds cached per
// configuration for the whole run, and free TCP ports. Without an SDK or a display every device test skips, and
// the suite says so in one line: `skipped: no Moddable SDK at $MODDABLE ...`.
import { buildApp, type BuildOptions, type BuildResult } from "../../host-sim/moddable/build.ts";
import { mcsimMissing } from "../../host-sim/moddable/mcsim.ts";
import { ModdableBoard } from "../../host-sim/moddable/run.ts";
import { findSdk, isSdk, type Sdk } from "../../host-sim/moddable/sdk.ts";
import { freeTcpPort } from "../support/ports.ts";

const found = findSdk();
export const sdk: Sdk | undefined = isSdk(found) ? found : undefined;
/** Why the device suite cannot run here, or undefined when it can. */
export const skipReason: string | undefined = isSdk(found) ? mcsimMissing() : found.missing;

let said = false;
/** For a top-level describe's before(): skip the whole block when there is no SDK, saying so once per run. */
export function requireSdk(context: Mocha.Context): Sdk {
  if (skipReason || !sdk) {
    if (!said) process.stdout.write(`\n  skipped: ${skipReason ?? "no Moddable SDK"} (the device suite did not run)\n`);
    said = true;
    context.skip();
  }
  return sdk;
}

const builds = new Map<string, Promise<BuildResult>>();
/** Build once per app and configuration in a test run; a failed build fails the test with mcconfig's first error. */
export async function image(options: BuildOptions): Promise<string> {
  const key = JSON.stringify([options.appDir, options.platform, options.debug, options.overrides]);
  let result = builds.get(key);
  if (!result) builds.set(key, (result = buildApp(sdk!, options)));
  const built = await result;
  if (!built.ok || !built.image) throw new Error(built.summary + "\n" + built.log.split("\n").slice(-30).join("\n"));
  return built.image;
}

/** Every board a test started, stopped after it (mcsim never exits by itself). */
const started = new Set<ModdableBoard>();
export async function boot(imagePath: string): Promise<ModdableBoard> {
  const board = await ModdableBoard.start(sdk!, imagePath);
  started.add(board);
  return board;
}
export async function stopBoards(): Promise<void> {
  await Promise.all([...started].map((board) => board.stop()));
  started.clear();
}

/** A TCP port free on every address (mcsim's sockets bind INADDR_ANY), found by binding 0.0.0.0:0. */
export function freePort(): Promise<number> {
  return freeTcpPort("0.0.0.0");
}
