// Kernel mode (`linklab lab --net kernel`, host-sim/netns/): boards in network namespaces, faults made by the kernel,
// the kernel's view read from per-board captures, and nothing left behind. Needs root and nftables; without them
// the suite says why in one line and skips.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLab, type LabResult } from "../../host-sim/lab/lab.ts";
import { loadScenario } from "../../host-sim/lab/scenario.ts";
import { scenariosDir } from "../../host-sim/lab/cli.ts";
import { cleanLeftovers, linklabNamespaces } from "../../host-sim/netns/names.ts";
import { kernelModeMissing } from "../../host-sim/netns/mode.ts";
import { waitFor } from "../support/wait.ts";

const missing = kernelModeMissing();
const repo = join(import.meta.dirname, "..", "..");

function ours(pid: number): string[] {
  return linklabNamespaces().filter((name) => name.startsWith(`linklab-${pid}.`));
}

/** The lab's temporary capture directories (host-sim/netns/mode.ts names them after its pid). */
function captures(pid: number): string[] {
  return readdirSync(tmpdir()).filter((entry) => entry.startsWith(`linklab-capture-${pid}-`));
}

function failed(result: LabResult): string {
  return result.expectations
    .filter((e) => !e.passed)
    .map((e) => `${e.text}: ${e.detail}`)
    .join("; ");
}

/** Start `linklab lab <scenario> --net kernel` as its own process, and wait until its namespaces exist. */
async function startLab(scenario: string): Promise<{ pid: number; exited: Promise<number | null>; output: () => string }> {
  const child = spawn(process.execPath, [join(repo, "host-sim", "bin.mjs"), "lab", scenario, "--net", "kernel"], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const pid = child.pid!;
  await waitFor(() => /lab clock starts/.test(text) || child.exitCode !== null, "the lab's clock to start", 60_000);
  assert.ok(child.exitCode === null, `the lab ended before its clock started: ${text}`);
  assert.ok(ours(pid).length > 0, "the running lab has namespaces");
  return { pid, exited, output: () => text };
}

describe("kernel mode (--net kernel)", function () {
  this.timeout(120_000);

  before(function () {
    if (missing) {
      process.stdout.write(`\n  skipped: ${missing}\n`);
      this.skip();
    }
  });

  it("runs the default scenario with every expectation met, and leaves no namespace behind", async () => {
    const result = await runLab(loadScenario(join(scenariosDir, "default.lab")), { net: "kernel" });
    assert.ok(result.passed, failed(result));
    assert.ok(result.kernel, "a kernel-mode result carries the kernel's view");
    assert.deepEqual(ours(process.pid), []);
  });

  it("partition: the client's kernel retransmits its SYN into the partition (kernel-partition.lab)", async () => {
    const result = await runLab(loadScenario(join(scenariosDir, "kernel-partition.lab")));
    assert.ok(result.passed, failed(result));
    const retries = result.kernel!.events.filter((e) => e.board === "c1" && e.name === "syn-retry" && e.peer === "server");
    assert.ok(retries.length >= 1, "c1's kernel sent a SYN again");
    // Only SYNs sent into the partition (3 s to 11 s) were sent again. A reconnect's SYN that leaves just before the
    // heal's rule change (a few ms) is retransmitted 1 s later, after the heal: its first send is what counts.
    const firstSyn = new Map(result.kernel!.events.filter((e) => e.name === "syn").map((e) => [e.flow, e.t]));
    for (const retry of retries) {
      const first = firstSyn.get(retry.flow)!;
      assert.ok(first > 3000 && first < 11_250, `SYN retry at ${retry.t} ms of a SYN first sent at ${first} ms, outside the partition`);
    }
    assert.ok(result.kernel!.lines.some((line) => /c1 -> server: SYN sent \d+ times/.test(line)), result.kernel!.lines.join("\n"));
  });

  it("reboot: silence while down, then an RST from the fresh kernel; --capture writes a pcap per board that tshark reads", async () => {
    const dir = mkdtempSync(join(tmpdir(), "linklab-kernel-test-"));
    try {
      const result = await runLab(loadScenario(join(scenariosDir, "kernel-reboot.lab")), { captureDir: dir });
      assert.ok(result.passed, failed(result));
      assert.deepEqual(result.kernel!.captures.sort(), [join(dir, "c1.pcap"), join(dir, "server.pcap")]);
      for (const [board, address] of [["server", "127.0.82.2"], ["c1", "127.0.82.3"]]) {
        const file = join(dir, `${board}.pcap`);
        assert.ok(existsSync(file), file);
        const sources = execFileSync("tshark", ["-n", "-r", file, "-Y", "tcp", "-T", "fields", "-e", "ip.src"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
        assert.ok(sources.split("\n").includes(address), `${board}'s capture holds TCP from ${address}`);
      }
      // The RST c1 got after the return came from the server's address, on c1's interface.
      const rsts = execFileSync("tshark", ["-n", "-r", join(dir, "c1.pcap"), "-Y", "tcp.flags.reset == 1 && ip.src == 127.0.82.2"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      assert.ok(rsts.trim().length > 0, "c1's capture shows the server's RST");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reset: both kernels drop the connection at once (SOCK_DESTROY), so both ends hear it without sending (reset.lab)", async () => {
    const result = await runLab(loadScenario(join(scenariosDir, "reset.lab")), { net: "kernel" });
    assert.ok(result.passed, failed(result));
    assert.ok(!result.kernel!.notes.some((note) => /survived SOCK_DESTROY/.test(note)), result.kernel!.notes.join("\n"));
    const reset = result.events.find((e) => e.board === "lab" && e.name === "reset")!;
    // Each end learned at once, not at its next send (c1 echoes every 1 s, the server only answers).
    for (const board of ["c1", "server"]) {
      const closed = result.events.find((e) => e.board === board && e.name === "peer-closed" && e.t >= reset.t);
      assert.ok(closed && closed.t - reset.t < 300, `${board} heard the reset ${closed ? closed.t - reset.t : "never"} ms after it`);
    }
    // The RST is on the wire: the kernel that aborted first sent it (tcp_abort: an active reset).
    assert.ok(result.kernel!.events.some((e) => e.name === "rst-in" && e.t >= reset.t && e.t - reset.t < 300), result.kernel!.lines.join("\n"));
  });

  it("SIGTERM: the lab tears its namespaces down before it exits", async () => {
    const lab = await startLab("kernel-reboot");
    assert.equal(captures(lab.pid).length, 1, "the running lab captures into a temporary directory");
    process.kill(lab.pid, "SIGTERM");
    await lab.exited;
    assert.deepEqual(ours(lab.pid), [], lab.output());
    assert.deepEqual(captures(lab.pid), []);
  });

  it("SIGKILL: what the killed lab left is gone after the next start's cleanup", async () => {
    const lab = await startLab("kernel-reboot");
    process.kill(lab.pid, "SIGKILL");
    await lab.exited;
    // Nothing could tear down: the namespaces are still there (its boards died with it: setpriv --pdeathsig).
    const left = ours(lab.pid);
    assert.ok(left.length > 0, "a SIGKILLed lab leaves its namespaces");
    assert.equal(captures(lab.pid).length, 1, "a SIGKILLed lab leaves its temporary captures");
    const removed = cleanLeftovers();
    for (const name of left) assert.ok(removed.includes(name), `${name} removed`);
    assert.deepEqual(ours(lab.pid), []);
    assert.deepEqual(captures(lab.pid), []);
    // Nothing of it survives in the host's own view either: no interface was ever created outside the namespaces.
    assert.doesNotMatch(execFileSync("ip", ["-o", "link"], { encoding: "utf8" }), /\bh\d+@|\bp\d+@|linklab/);
  });
});
