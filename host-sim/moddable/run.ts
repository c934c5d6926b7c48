// One lin image running on Moddable's runtime (mcsim, real XS), as a process with its serial log split into lines.
// mcsim never exits by itself, so an `XS abort` line is the end of the board (on an ESP32 it would reboot): the
// CLI stops there with status 1, and tests see the line. stop() is always safe to call, also twice.
import { spawn, type ChildProcess } from "node:child_process";
import { mcsimLaunch } from "./mcsim.ts";
import type { Sdk } from "./sdk.ts";

/** The line XS prints when it gives up (fxAbort); the board is dead after it. */
export const XS_ABORT = /^XS abort\b/;

export class ModdableBoard {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<void>;
  #waiters = new Set<() => void>();
  #cleanup: () => void;

  private constructor(child: ChildProcess, cleanup: () => void, onLine?: (line: string, stream: "stdout" | "stderr") => void) {
    this.child = child;
    this.#cleanup = cleanup;
    child.on("error", () => {});
    for (const stream of ["stdout", "stderr"] as const) {
      let rest = "";
      child[stream]!.setEncoding("utf8");
      child[stream]!.on("data", (chunk: string) => {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        for (const part of parts) {
          const line = part.replace(/\r$/, "");
          if (stream === "stdout") this.lines.push(line);
          onLine?.(line, stream);
        }
        for (const wake of this.#waiters) wake();
      });
    }
    this.exited = new Promise((resolve) =>
      child.once("exit", () => {
        this.#cleanup();
        for (const wake of this.#waiters) wake();
        resolve();
      }),
    );
  }

  static async start(sdk: Sdk, image: string, onLine?: (line: string, stream: "stdout" | "stderr") => void): Promise<ModdableBoard> {
    const launch = await mcsimLaunch(sdk, image);
    const child = spawn(launch.command, launch.args, { env: launch.env, stdio: ["ignore", "pipe", "pipe"] });
    return new ModdableBoard(child, launch.cleanup, onLine);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first stdout line (from index `from` on) that matches, within the deadline; rejects at once on an XS abort. */
  waitForLine(pattern: RegExp, deadlineMs = 10_000, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.lines.slice(from).find((line) => pattern.test(line));
        const aborted = hit === undefined && this.lines.slice(from).some((line) => XS_ABORT.test(line));
        if (hit !== undefined || !this.running || aborted) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          if (hit !== undefined) resolve(hit);
          else reject(new Error(`${aborted ? "XS aborted" : "mcsim exited"} before printing ${pattern}; log:\n${this.lines.slice(-40).join("\n")}`));
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no line ${pattern} within ${deadlineMs} ms; log:\n${this.lines.slice(-40).join("\n")}`));
      }, deadlineMs);
      this.#waiters.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.exited;
  }
}

/** `linklab run --moddable`: the serial log on stdout until Ctrl-C (exit 0) or an XS abort (exit 1). */
export async function runImage(sdk: Sdk, image: string): Promise<void> {
  let aborted = false;
  const board = await ModdableBoard.start(sdk, image, (line, stream) => {
    (stream === "stdout" ? process.stdout : process.stderr).write(line + "\n");
    if (stream === "stdout" && XS_ABORT.test(line) && !aborted) {
      aborted = true;
      void board.stop();
    }
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void board.stop());
  await board.exited;
  process.exitCode = aborted ? 1 : 0;
}
