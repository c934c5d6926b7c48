// Boots one simulated board in this process: XS globals, identity, config (manifest defaults + key=value words),
// signal handling, then the app's main module. Whatever goes wrong before the app runs is one line and exit 2.
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { AppError, loadApp, mergeConfig } from "./app.ts";
import { board, type BoardCommand, type BoardIdentity } from "./runtime/board.ts";
import { installGlobals } from "./runtime/globals.ts";

export interface BootOptions {
  appDir: string;
  overrides?: Record<string, string>;
  identity?: Partial<BoardIdentity>;
}

/** Exit status for a board that could not start: bad arguments, a bad manifest, an app that fails to load. */
export const EXIT_USAGE = 2;

export async function bootBoard(options: BootOptions): Promise<void> {
  installGlobals();
  const app = loadApp(options.appDir);
  const { config, warnings } = mergeConfig(app, options.overrides ?? {});
  for (const warning of warnings) process.stderr.write(`linklab: warning: ${warning}\n`);
  const address = options.identity?.address ?? "127.0.0.1";
  board.identity = {
    id: options.identity?.id ?? "board",
    address,
    peers: options.identity?.peers ?? [address],
    netmask: options.identity?.netmask ?? "255.0.0.0",
  };
  board.config = Object.freeze(config);
  board.bootMs = performance.now();

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      board.closeAll();
      process.exit(0);
    });
  }
  if (process.send) {
    process.on("message", (message) => board.command(message as BoardCommand));
    process.on("disconnect", () => {
      board.closeAll();
      process.exit(0);
    });
  }
  try {
    await import(pathToFileURL(app.entry).href);
  } catch (error) {
    throw new AppError(`cannot load ${app.entry}: ${firstLine(error)}`);
  }
}

export function firstLine(error: unknown): string {
  const text =
    error instanceof Error
      ? `${error.name === "Error" ? "" : error.name + ": "}${error.message}`
      : typeof (error as { diagnosticText?: unknown })?.diagnosticText === "string" // ts-node's TSError
        ? (error as { diagnosticText: string }).diagnosticText
        : inspect(error);
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? text;
}
