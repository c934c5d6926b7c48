// One simulated board as its own operating-system process (`linklab run <app> key=value...`, started as
// `node --import host-sim/register.mjs host-sim/cli.ts run ...`, which is what bin.mjs does), with
// its serial log (stdout) and stderr split into lines, and an IPC channel for board commands. The lab can freeze it
// (SIGSTOP: power cut, the kernel keeps its sockets), kill it (SIGKILL: the kernel closes them) and start it again.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BoardCommand } from "../runtime/board.ts";

const here = dirname(fileURLToPath(import.meta.url));
/** The simulator's hooks, with their transpile cache (host-sim/ts-cache.mjs). */
const registerUrl = pathToFileURL(join(here, "..", "register.mjs")).href;
const cliPath = join(here, "..", "cli.ts");

export interface BoardProcessOptions {
  id: string;
  appDir: string;
  words: string[];
  address: string;
  peers: string[];
  onLine(stream: "stdout" | "stderr", line: string): void;
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
}

/** Every child the lab started in this process, so an unexpected exit of the lab never leaves boards behind. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

export class BoardProcess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** Powered off (SIGSTOP): it hears nothing and is killed, not asked, at the end. */
  frozen = false;
  /** The lab ended it (crash, reboot, power-on, end of run), as opposed to the board dying by itself. */
  killedByLab = false;

  constructor(options: BoardProcessOptions) {
    installExitHook();
    this.id = options.id;
    this.child = spawn(process.execPath, ["--import", registerUrl, cliPath, "run", options.appDir, ...options.words], {
      env: {
        ...process.env,
        LINKLAB_BOARD_ID: options.id,
        LINKLAB_BOARD_ADDRESS: options.address,
        LINKLAB_PEERS: options.peers.join(","),
        FORCE_COLOR: "0",
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    live.add(this.child);
    // A board that dies mid-send must not take the lab down.
    this.child.on("error", () => {});
    this.child.channel?.unref?.();
    this.#lines(this.child.stdout!, (line) => options.onLine("stdout", line));
    this.#lines(this.child.stderr!, (line) => options.onLine("stderr", line));
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        live.delete(this.child);
        options.onExit(code, signal);
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  #lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const part of parts) onLine(part.replace(/\r$/, ""));
    });
    stream.on("end", () => {
      if (rest) onLine(rest);
      rest = "";
    });
  }

  /** Send a board command over IPC; false when the board cannot hear it (dead, or frozen: then it stays queued). */
  send(command: BoardCommand): boolean {
    if (!this.running || !this.child.connected) return false;
    this.child.send(command, (error) => {
      // The board died between the check and the write: nothing to deliver to.
      void error;
    });
    return !this.frozen;
  }

  /** Power cut: the process stops dead; its kernel keeps the sockets open and still ACKs. */
  freeze(): void {
    if (this.running) this.child.kill("SIGSTOP");
    this.frozen = true;
  }

  /** SIGKILL: the kernel closes every socket of the process (FIN, or RST where data was unread). */
  async kill(): Promise<void> {
    this.killedByLab = true;
    if (this.running) this.child.kill("SIGKILL");
    await this.exited;
  }

  /** End of a run: ask politely (SIGTERM closes sockets cleanly), then kill after `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.running) return this.exited;
    if (this.frozen) return this.kill();
    this.killedByLab = true;
    this.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    if (this.running) await this.kill();
  }
}
