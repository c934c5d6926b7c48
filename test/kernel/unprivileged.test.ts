// Kernel mode without root (host-sim/netns/unprivileged.ts): `linklab lab ... --net kernel` run by an ordinary user
// re-runs itself inside a user namespace of its own and passes there; killed with SIGKILL, it leaves no process (and so
// no namespace: nothing outside pins them). The test drops from root to `nobody` with setpriv, so it needs root, and
// unprivileged user namespaces allowed for that user; otherwise one line and skipped.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanLeftovers, linklabNamespaces } from "../../host-sim/netns/names.ts";
import { waitFor } from "../support/wait.ts";

const repo = join(import.meta.dirname, "..", "..");
const AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "env", "HOME=/tmp"];

function whyNot(): string | undefined {
  if (process.platform !== "linux") return "the unprivileged kernel mode needs Linux";
  if (process.getuid?.() !== 0) return "this test drops from root to nobody with setpriv; run it as root (a non-root user runs the lab itself: npx linklab lab kernel-reboot --net kernel)";
  try {
    execFileSync(AS_NOBODY[0], [...AS_NOBODY.slice(1), "unshare", "-rmn", "true"], { stdio: "ignore", timeout: 10_000 });
  } catch {
    return "unprivileged user namespaces are not allowed here for nobody (unshare -rmn fails)";
  }
  try {
    execFileSync("nft", ["--version"], { stdio: "ignore", timeout: 10_000 });
  } catch {
    return "--net kernel needs nftables (apt-get install nftables)";
  }
  return undefined;
}

/** Every process descending from pid (by /proc's parent links). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [child, ppid] of parent) {
      if (ppid !== p || found.includes(child)) continue;
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function lab(scenario: string): { pid: number; exited: Promise<number | null>; output: () => string } {
  const child = spawn(AS_NOBODY[0], [...AS_NOBODY.slice(1), process.execPath, join(repo, "host-sim", "bin.mjs"), "lab", scenario, "--net", "kernel"], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return { pid: child.pid!, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))), output: () => text };
}

describe("kernel mode without root (a user namespace of its own)", function () {
  this.timeout(90_000);

  before(function () {
    const reason = whyNot();
    if (reason) {
      process.stdout.write(`\n  skipped: ${reason}\n`);
      this.skip();
    }
  });

  it("runs kernel-reboot as nobody with every expectation met, and the host sees none of its namespaces", async () => {
    const before = linklabNamespaces();
    const run = lab("kernel-reboot");
    let seen: string[] = [];
    await waitFor(
      () => {
        if (/lab clock starts/.test(run.output())) seen = linklabNamespaces().filter((name) => !before.includes(name));
        return /lab clock starts/.test(run.output());
      },
      "the lab's clock to start",
      60_000,
    );
    const code = await run.exited;
    assert.equal(code, 0, run.output());
    assert.match(run.output(), /all 5 expectations passed/);
    assert.match(run.output(), /RST c1 <- server: \d+/, "the kernel's view was read from the captures");
    // Its namespaces' names live on a private tmpfs: the host's /run/netns never had them.
    assert.deepEqual(seen, []);
  });

  it("SIGKILL of the lab leaves no process behind, so its namespaces are gone with them", async () => {
    const run = lab("kernel-reboot");
    await waitFor(() => /lab clock starts/.test(run.output()) || run.output().includes("linklab lab:"), "the lab's clock to start", 60_000);
    assert.match(run.output(), /lab clock starts/);
    const tree = descendants(run.pid);
    assert.ok(tree.length >= 4, `the lab, its boards and captures run: ${tree.join(" ")}`);
    process.kill(run.pid, "SIGKILL");
    await run.exited;
    // The outer process's death kills the inner lab (pdeathsig), whose death kills its boards and captures (pdeathsig);
    // the user and mount namespaces then have no process, and the kernel frees the network namespaces with them.
    await waitFor(() => tree.every((pid) => !alive(pid)), "every process of the killed lab to be gone", 10_000);
    // Only its temporary captures stay (named after the inner lab's pid), until the next start's cleanup.
    const left = readdirSync(tmpdir()).filter((entry) => tree.some((pid) => entry.startsWith(`linklab-capture-${pid}-`)));
    assert.equal(left.length, 1, `the killed lab's temporary captures: ${left.join(" ")}`);
    cleanLeftovers();
    assert.ok(!existsSync(join(tmpdir(), left[0])), "the next start's cleanup removes them");
  });
});
