// Kernel mode without root: where unprivileged user namespaces are allowed, `linklab lab ... --net kernel` runs itself
// again inside a new user namespace (the user is mapped to root there) with a private mount namespace, in which a
// private tmpfs on /run/netns holds the namespaces' names. Everything the lab then creates (network namespaces, veths,
// the bridge, nftables rules, sysctls) belongs to that user namespace: the host's own network stays out of reach, and
// when the lab's process ends, however it ends, the kernel removes all of it with the namespaces (nothing pins them
// outside). The outer process only waits, passes on SIGTERM and SIGHUP, and exits with the inner lab's status; if it
// is killed, the inner lab gets SIGKILL (setpriv --pdeathsig), and its boards die with it in turn.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { kernelPrivilege } from "./privilege.ts";

/** True inside a user namespace that maps uid 0 to another user (so `ip netns add` cannot go back to the host's). */
export function insideUserNamespace(): boolean {
  try {
    const map = readFileSync("/proc/self/uid_map", "utf8").trim().split(/\s+/);
    return !(map[0] === "0" && map[1] === "0" && map[2] === "4294967295");
  } catch {
    return false;
  }
}

// Mount the private tmpfs for the namespaces' names, then become the lab again. /run/netns is used when it exists;
// otherwise a private tmpfs on /run (seen only by the lab and its boards) gets a fresh netns directory.
const SETUP = 'if [ -d /run/netns ]; then mount -t tmpfs linklab /run/netns; else mount -t tmpfs linklab /run && mkdir /run/netns; fi && exec "$0" "$@"';

/** The command that runs `argv` (a program and its arguments) in a new user and mount namespace, as its root. */
export function userNamespaceCommand(argv: string[]): string[] {
  return ["setpriv", "--pdeathsig", "KILL", "--", "unshare", "--user", "--map-root-user", "--mount", "--propagation", "private", "--", "sh", "-c", SETUP, ...argv];
}

/**
 * Run this same command again in a user namespace when kernel mode needs it (not root, user namespaces allowed, not
 * inside one already). Resolves to the inner lab's exit status, or undefined when this process should run the lab.
 */
export async function reexecInUserNamespace(): Promise<number | undefined> {
  if (process.getuid?.() === 0 || insideUserNamespace() || kernelPrivilege().how !== "userns") return undefined;
  const [command, ...args] = userNamespaceCommand([process.execPath, ...process.execArgv, ...process.argv.slice(1)]);
  const child = spawn(command, args, { stdio: "inherit" });
  // Ctrl-C reaches the inner lab too (same process group): it ends its run, and this process waits for it.
  const ignore = (): void => {};
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on("SIGINT", ignore);
  process.on("SIGTERM", forward);
  process.on("SIGHUP", forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => resolve(code ?? (signal === "SIGINT" ? 130 : 1)));
    });
  } finally {
    process.off("SIGINT", ignore);
    process.off("SIGTERM", forward);
    process.off("SIGHUP", forward);
  }
}
