// A child process whose stdout/stderr are collected as lines, with bounded waits for a line or for exit.
// Used by tests that run `linklab` the way a person does. Always call stop() (kills the whole process).
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const linklabBin = join(repoDir, "host-sim", "bin.mjs");

export class Child {
  readonly process: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters = new Set<() => void>();

  constructor(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.process = spawn(process.execPath, args, {
      cwd: options.cwd ?? repoDir,
      env: { ...process.env, ...options.env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#collect(this.process.stdout!, this.stdout);
    this.#collect(this.process.stderr!, this.stderr);
    this.exited = new Promise((resolve) => this.process.once("exit", (code, signal) => {
      resolve({ code, signal });
      this.#notify();
    }));
  }

  #collect(stream: NodeJS.ReadableStream, lines: string[]): void {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
      this.#notify();
    });
    stream.on("end", () => {
      if (rest) lines.push(rest);
      rest = "";
      this.#notify();
    });
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Resolve with the first stdout line matching `pattern`; reject after `deadlineMs` or if the process exits first. */
  waitForLine(pattern: RegExp, deadlineMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = this.stdout.find((l) => pattern.test(l));
        if (line !== undefined) {
          done();
          resolve(line);
          return true;
        }
        if (this.process.exitCode !== null || this.process.signalCode !== null) {
          done();
          reject(new Error(`process exited before a line matched ${pattern}\nstdout:\n${this.stdout.join("\n")}\nstderr:\n${this.stderr.join("\n")}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no line matched ${pattern} within ${deadlineMs} ms\nstdout:\n${this.stdout.join("\n")}\nstderr:\n${this.stderr.join("\n")}`));
      }, deadlineMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      if (!check()) this.#waiters.add(waiter);
    });
  }

  /** Wait for exit, at most `deadlineMs`, then kill. */
  async waitForExit(deadlineMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`process did not exit within ${deadlineMs} ms`)), deadlineMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill("SIGKILL");
  }
}

/** `linklab ARGS...` as a child process. */
export function linklab(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Child {
  return new Child([linklabBin, ...args], options);
}
