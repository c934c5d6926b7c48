// Two network namespaces joined by a veth, for measuring what the kernel does when a peer vanishes: namespace A
// and namespace B carry 127.0.0.2 <-> 127.0.0.3 (route_localnet on), and B's end of the veth can be set down so that
// B's kernel answers nothing any more, as with a board that lost power. Needs root (CAP_NET_ADMIN); the machine is
// always left as it was: on normal return, on an exception, and on Ctrl-C or a kill.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { repoDir } from "../support.ts";

export const ADDRESS_A = "127.0.0.2";
export const ADDRESS_B = "127.0.0.3";

export interface VethPair {
  /** Namespace names. */
  readonly a: string;
  readonly b: string;
  /** Start `command` in namespace `ns` (cwd: the repository), handing each stdout line to `onLine`; killed at cleanup. */
  run(ns: string, command: string[], onLine: (line: string) => void): ChildProcess;
  /** Set B's end of the veth down; returns when the command started (Date.now()) and how long it took (ms). */
  cutB(): { startedAt: number; tookMs: number };
}

function ip(args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
}

/**
 * Create the namespaces and the veth, run `body` with them, and remove everything afterwards. Returns a reason
 * string instead when the first `ip netns add` fails (not root); later failures throw.
 */
export async function withVethPair<T>(body: (pair: VethPair) => Promise<T>): Promise<T | string> {
  const tag = `llk${process.pid % 100000}`;
  const nsA = `${tag}a`;
  const nsB = `${tag}b`;
  const vethA = `${tag}x`;
  const vethB = `${tag}y`;
  const procs: ChildProcess[] = [];
  const cleanup = (): void => {
    for (const p of procs) p.kill("SIGKILL");
    for (const args of [["netns", "del", nsA], ["netns", "del", nsB], ["link", "del", vethA]]) {
      try {
        ip(args);
      } catch {
        // not created, or gone with its namespace
      }
    }
  };
  const interrupted = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once("exit", cleanup);
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    try {
      ip(["netns", "add", nsA]);
    } catch (error) {
      return `ip netns add failed (${String((error as { stderr?: Buffer }).stderr ?? error).trim().split("\n")[0]}): needs root (CAP_NET_ADMIN)`;
    }
    ip(["netns", "add", nsB]);
    ip(["link", "add", vethA, "type", "veth", "peer", "name", vethB]);
    ip(["link", "set", vethA, "netns", nsA]);
    ip(["link", "set", vethB, "netns", nsB]);
    const side = (ns: string, dev: string, me: string, peer: string): void => {
      const exec = (cmd: string[]) => execFileSync("ip", ["netns", "exec", ns, ...cmd], { stdio: "ignore", timeout: 10_000 });
      exec(["sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1", `net.ipv4.conf.${dev}.route_localnet=1`]);
      exec(["ip", "addr", "add", `${me}/32`, "dev", dev]);
      exec(["ip", "link", "set", dev, "up"]);
      exec(["ip", "route", "add", `${peer}/32`, "dev", dev]);
    };
    side(nsA, vethA, ADDRESS_A, ADDRESS_B);
    side(nsB, vethB, ADDRESS_B, ADDRESS_A);
    return await body({
      a: nsA,
      b: nsB,
      run(ns, command, onLine) {
        const proc = spawn("ip", ["netns", "exec", ns, ...command], { stdio: ["ignore", "pipe", "pipe"], cwd: repoDir });
        createInterface({ input: proc.stdout }).on("line", onLine);
        proc.stderr.on("data", () => {});
        procs.push(proc);
        return proc;
      },
      cutB() {
        const startedAt = Date.now();
        execFileSync("ip", ["netns", "exec", nsB, "ip", "link", "set", vethB, "down"], { stdio: "ignore" });
        return { startedAt, tookMs: Date.now() - startedAt };
      },
    });
  } finally {
    cleanup();
    process.removeListener("exit", cleanup);
    process.removeListener("SIGINT", interrupted);
    process.removeListener("SIGTERM", interrupted);
  }
}
