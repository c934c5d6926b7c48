// Can this machine run the kernel network? It needs Linux, the `ip` tool (iproute2), and the right to create network
// namespaces: root (CAP_NET_ADMIN), or unprivileged user namespaces, in which the lab re-runs itself as root of its
// own user namespace (host-sim/netns/unprivileged.ts). The answer is one line, for the lab to print and stop on.
import { execFileSync } from "node:child_process";

function works(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export type Privilege = { how: "root" } | { how: "userns" } | { how: "none"; why: string };

let cached: Privilege | undefined;

/** How the kernel network can be started here, or one line saying why not and how to get it. */
export function kernelPrivilege(): Privilege {
  if (cached) return cached;
  if (process.platform !== "linux") return (cached = { how: "none", why: `--net kernel needs Linux network namespaces (this is ${process.platform}); use the default mode` });
  if (!works("ip", ["-V"])) return (cached = { how: "none", why: "--net kernel needs the ip tool (iproute2: apt-get install iproute2)" });
  if (process.getuid?.() === 0) {
    if (works("ip", ["netns", "list"]) && works("unshare", ["-n", "true"])) return (cached = { how: "root" });
    return (cached = { how: "none", why: "--net kernel: running as root but network namespaces are refused here (a container without CAP_NET_ADMIN?); run it on a Linux host or a privileged container" });
  }
  if (works("unshare", ["-rn", "true"]) && works("unshare", ["-rmn", "true"])) return (cached = { how: "userns" });
  return (cached = {
    how: "none",
    why: "--net kernel needs root or unprivileged user namespaces, and neither is available: run it with sudo, or allow user namespaces (sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0)",
  });
}
