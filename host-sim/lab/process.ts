// One simulated board as its own operating-system process (`linklab run <app> key=value...`, started as
// `node --import host-sim/register.mjs host-sim/cli.ts run ...`, which is what bin.mjs does), with
// its serial log (stdout) and stderr split into lines, and an IPC channel for board commands. The lab can freeze it
// (SIGSTOP: power cut, the kernel keeps its sockets), kill it (SIGKILL: the kernel closes them) and start it again.
// With a `launch`, the board is another program (mcsim running a lin image: host-sim/moddable/mcsim.ts): same
// lines, freeze and kill, but no IPC channel (send() returns false); its `endLine` (mcsim's XS abort: mcsim never
// exits by itself, an ESP32 would be gone) makes the board die as if by itself.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BoardCommand } from "../runtime/board.ts";

const here = dirname(fileURLToPath(import.meta.url));
/** The simulator's hooks, with their transpile cache (host-sim/ts-cache.mjs). */
const registerUrl = pathToFileURL(join(here, "..", "register.mjs")).href;
const cliPath = join(here, "..", "cli.ts");

/** Another program to run as the board (what mcsimLaunch() returns); cleanup() runs once it has exited. */
export interface BoardLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export interface BoardProcessOptions {
  id: string;
  appDir: string;
  words: string[];
  address: string;
  peers: string[];
  /** Run this instead of the host simulator (appDir, words, address and peers are then the launch's business). */
  launch?: BoardLaunch;
  /** A command prefix the board's program runs under, e.g. `ip netns exec <ns> ...` in kernel mode (host-sim/netns/). */
  wrap?: string[];
  /** A stdout line after which the board is dead though its process is not (mcsim's `XS abort`): the board is killed. */
  endLine?: RegExp;
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
  /** The board printed its endLine and was killed for it (which counts as ending by itself). */
  aborted = false;
  #launched: boolean;

  constructor(options: BoardProcessOptions) {
    installExitHook();
    this.id = options.id;
    const launch = options.launch;
    this.#launched = launch !== undefined;
    const [command, ...args] = [...(options.wrap ?? []), ...(launch ? [launch.command, ...launch.args] : [process.execPath, "--import", registerUrl, cliPath, "run", options.appDir, ...options.words])];
    this.child = launch
      ? spawn(command, args, { env: launch.env, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(command, args, {
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
    this.#lines(this.child.stdout!, (line) => {
      options.onLine("stdout", line);
      if (options.endLine && !this.aborted && options.endLine.test(line)) {
        this.aborted = true;
        if (this.running) this.child.kill("SIGKILL");
      }
    });
    this.#lines(this.child.stderr!, (line) => options.onLine("stderr", line));
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        live.delete(this.child);
        launch?.cleanup();
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

  /** Send a board command over IPC; false when the board cannot hear it (dead; frozen: then it stays queued; a launch: no IPC). */
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
    // mcsim does not stop when asked; SIGKILL closes its sockets all the same.
    if (this.frozen || this.#launched) return this.kill();
    this.killedByLab = true;
    this.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    if (this.running) await this.kill();
  }
}
