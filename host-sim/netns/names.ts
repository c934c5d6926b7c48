// Names and leftovers of the kernel network (`--net kernel`): every network namespace a lab creates is called
// `linklab-<pid>.<run>-<part>` (pid: the lab process), and every interface, nftables rule and capture lives inside
// those namespaces, so a namespace name is all cleanup needs to find. A lab killed with SIGKILL cannot tear down;
// the next lab (or `cleanLeftovers()`) removes every linklab namespace whose lab process is gone, with the
// processes still inside it.
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PREFIX = "linklab-";
/** Temporary capture directories: `<tmpdir>/linklab-capture-<lab pid>-XXXXXX`. */
export const CAPTURE_PREFIX = "linklab-capture-";
const CAPTURE = /^linklab-capture-(\d+)-/;
const NAME = /^linklab-(\d+)\.(\d+)-/;

let runs = 0;

/** A fresh name stem for one run in this process: `linklab-<pid>.<n>`. */
export function runStem(): string {
  return `${PREFIX}${process.pid}.${++runs}`;
}

/** `ip ...`, synchronously; throws with ip's first stderr line. */
export function ipSync(args: string[], input?: string): string {
  try {
    return execFileSync("ip", args, { input, stdio: ["pipe", "pipe", "pipe"], timeout: 15_000, encoding: "utf8" });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim().split("\n")[0];
    throw new Error(`ip ${args.join(" ")}: ${stderr || (error as Error).message}`, { cause: error });
  }
}

/**
 * Create a named network namespace. As root on the host, `ip netns add`. Inside a user namespace (the lab without
 * root, host-sim/netns/unprivileged.ts) `ip netns add` creates it but then fails to switch back to the host's network
 * namespace, which that user namespace does not own; there util-linux's `unshare --net=FILE` creates it in a child
 * and bind-mounts it on the name, which is all `ip netns` needs.
 */
export function addNamespace(name: string, inUserNamespace: boolean): Promise<void> {
  if (!inUserNamespace) return run("ip", ["netns", "add", name]);
  const file = `/run/netns/${name}`;
  try {
    writeFileSync(file, "", { flag: "wx" });
  } catch (error) {
    return Promise.reject(new Error(`cannot create ${file}: ${(error as Error).message}`));
  }
  return run("unshare", [`--net=${file}`, "true"]);
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 15_000, encoding: "utf8" }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")}: ${stderr.trim().split("\n")[0] || error.message}`));
      else resolve();
    });
  });
}

/** Every network namespace whose name has the linklab prefix. */
export function linklabNamespaces(): string[] {
  let out: string;
  try {
    out = ipSync(["netns", "list"]);
  } catch {
    return [];
  }
  return out
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter((name) => name.startsWith(PREFIX));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A reused pid is not our lab: a lab is a node process.
  try {
    return /node/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    return false;
  }
}

/** Kill every process inside a namespace (boards, captures), then remove it. Best effort, never throws. */
export function removeNamespace(name: string): void {
  try {
    for (const pid of ipSync(["netns", "pids", name]).split("\n").filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone already
      }
    }
  } catch {
    // no such namespace, or no pids
  }
  try {
    ipSync(["netns", "del", name]);
  } catch {
    // not there
  }
}

/** Remove what labs killed before their teardown left behind (namespaces of lab processes that no longer run). */
export function cleanLeftovers(): string[] {
  const removed: string[] = [];
  for (const name of linklabNamespaces()) {
    const match = NAME.exec(name);
    const pid = match ? Number(match[1]) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) continue;
    if (pid === process.pid) continue;
    removeNamespace(name);
    removed.push(name);
  }
  // The temporary captures of labs that were killed (`linklab-capture-<pid>-XXXXXX`, host-sim/netns/mode.ts).
  try {
    for (const entry of readdirSync(tmpdir())) {
      const match = CAPTURE.exec(entry);
      if (!match || Number(match[1]) === process.pid || alive(Number(match[1]))) continue;
      rmSync(join(tmpdir(), entry), { recursive: true, force: true });
      removed.push(join(tmpdir(), entry));
    }
  } catch {
    // an unreadable temporary directory: nothing of ours to find
  }
  return removed;
}
