// Kernel keep-alive against a powered-off peer, in the kernel network (host-sim/netns/). The firmware cannot ask for
// keep-alive (Moddable's ECMA-419 TCP ignores the option: docs/kernel.md), so this shows the kernel's own mechanism
// with a plain Node socket inside a board's namespace: `setKeepAlive(true)` turns SO_KEEPALIVE on, and the
// namespace's own sysctls (net.ipv4.tcp_keepalive_time/intvl/probes are per network namespace) set the timing. The
// peer is powered off as the lab does it (process stopped, interface unplugged), so nothing answers the probes.
// Times come from the capture of the prober's interface: the peer's last segment, each probe, and the RST the prober's
// kernel sends when it gives up (tcp_keepalive_timer in net/ipv4/tcp_timer.c: tcp_send_active_reset, then
// tcp_write_err, which the app sees as ETIMEDOUT).
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linklabNamespaces } from "../../host-sim/netns/names.ts";
import { kernelModeMissing } from "../../host-sim/netns/mode.ts";
import { KernelNetwork } from "../../host-sim/netns/network.ts";
import { waitFor } from "../support/wait.ts";

const IDLE_S = 2;
const INTERVAL_S = 1;
const PROBES = 3;
const PORT = 9400;

function tool(name: string): boolean {
  try {
    execFileSync(name, ["--version"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const missing = kernelModeMissing() ?? (tool("dumpcap") && tool("tshark") ? undefined : "the keep-alive test reads a capture: it needs dumpcap and tshark (apt-get install tshark)");

/** A program in a namespace, with its stdout lines. */
function run(wrap: string[], script: string, args: string[]): { child: ChildProcess; lines: string[] } {
  const [command, ...rest] = [...wrap, process.execPath, "-e", script, ...args];
  const child = spawn(command, rest, { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let partial = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => lines.push(`stderr: ${chunk.trim()}`));
  return { child, lines };
}

// The peer: accepts, sends one line on each connection, then only holds them.
const PEER = `require("node:net").createServer((s) => { s.on("error", () => {}); s.write("hi\\n"); }).listen(+process.argv[2], process.argv[1], () => console.log("listening"));`;
// The prober: two connections to the peer, one with keep-alive (system timing: no initial delay given), one without.
const PROBER = `
const net = require("node:net");
const [host, port] = [process.argv[1], +process.argv[2]];
let ready = 0;
for (const ka of [true, false]) {
  const s = net.connect({ host, port }, () => { if (ka) s.setKeepAlive(true); });
  s.on("data", () => { if (++ready === 2) console.log("ready"); if (ka) console.log("port " + s.localPort); });
  s.on("error", (e) => console.log("error " + (ka ? "keepalive" : "plain") + " " + e.code + " at " + Date.now()));
  s.on("close", () => console.log("close " + (ka ? "keepalive" : "plain")));
}`;

interface Packet {
  t: number;
  src: string;
  sport: number;
  dport: number;
  rst: boolean;
  keepalive: boolean;
}

function packets(file: string): Packet[] {
  const out = execFileSync("tshark", ["-n", "-r", file, "-Y", "tcp", "-T", "fields", "-E", "separator=,", "-e", "frame.time_epoch", "-e", "ip.src", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.flags.reset", "-e", "tcp.analysis.keep_alive"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [t, src, sport, dport, rst, keepalive] = line.split(",");
      return { t: Number(t) * 1000, src, sport: Number(sport), dport: Number(dport), rst: rst === "1" || rst === "True", keepalive: keepalive !== "" && keepalive !== undefined };
    });
}

describe("kernel keep-alive against a powered-off peer (a Node socket in a board's namespace)", function () {
  this.timeout(60_000);

  before(function () {
    if (missing) {
      process.stdout.write(`\n  skipped: ${missing}\n`);
      this.skip();
    }
  });

  it(`detects it after idle and within idle + probes x interval (${IDLE_S} s + ${PROBES} x ${INTERVAL_S} s), from the namespace's own sysctls; a socket without keep-alive never does`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "linklab-keepalive-"));
    const [peerAddress, proberAddress] = ["127.0.84.2", "127.0.84.3"];
    const network = await KernelNetwork.create({ boards: [{ id: "peer", address: peerAddress }, { id: "prober", address: proberAddress }], firstAddress: peerAddress, captureDir: dir });
    const children: ChildProcess[] = [];
    try {
      await network.boot(0, peerAddress, true);
      await network.boot(1, proberAddress, true);
      const proberNs = network.namespaceOf(1)!;
      execFileSync("ip", ["netns", "exec", proberNs, "sysctl", "-q", "-w", `net.ipv4.tcp_keepalive_time=${IDLE_S}`, `net.ipv4.tcp_keepalive_intvl=${INTERVAL_S}`, `net.ipv4.tcp_keepalive_probes=${PROBES}`]);
      // The host's own values are not touched: the sysctls belong to the prober's namespace.
      assert.notEqual(execFileSync("sysctl", ["-n", "net.ipv4.tcp_keepalive_time"], { encoding: "utf8" }).trim(), String(IDLE_S));

      const peer = run(network.wrap(0), PEER, [peerAddress, String(PORT)]);
      children.push(peer.child);
      await waitFor(() => peer.lines.includes("listening"), "the peer to listen", 10_000);
      const prober = run(network.wrap(1), PROBER, [peerAddress, String(PORT)]);
      children.push(prober.child);
      await waitFor(() => prober.lines.includes("ready"), "both connections to get the peer's line", 10_000);
      const port = Number(prober.lines.find((l) => l.startsWith("port "))!.slice(5));

      // Power cut, as the lab makes it: the process stops, the interface is unplugged (nothing answers, both ways).
      peer.child.kill("SIGSTOP");
      await network.unplug(0);
      const bound = (IDLE_S + PROBES * INTERVAL_S) * 1000;
      await waitFor(() => prober.lines.some((l) => l.startsWith("error keepalive ETIMEDOUT at ")), "the keep-alive socket to fail with ETIMEDOUT", bound + 10_000);
      const failedAt = Number(prober.lines.find((l) => l.startsWith("error keepalive ETIMEDOUT at "))!.split(" at ")[1]);
      // The socket without keep-alive has sent nothing and heard nothing: it is still open, and would stay open.
      assert.ok(!prober.lines.some((l) => l.endsWith("plain") || l.includes("error plain")), prober.lines.join("\n"));
      const established = execFileSync("ip", ["netns", "exec", proberNs, "ss", "-t", "-n", "-H", "state", "established", `( dst ${peerAddress} )`], { encoding: "utf8" });
      assert.equal(established.trim().split("\n").filter(Boolean).length, 1, established);

      await network.stopCaptures();
      const flow = packets(join(dir, "prober.pcap")).filter((p) => p.sport === port || p.dport === port);
      const lastFromPeer = flow.filter((p) => p.src === peerAddress).at(-1)!;
      const probes = flow.filter((p) => p.src === proberAddress && p.keepalive);
      assert.ok(lastFromPeer, `the capture holds the peer's last segment: ${JSON.stringify(flow)}`);
      assert.equal(probes.length, PROBES, `probes: ${JSON.stringify(probes)}`);
      // Kernel timers, read from the wire: the first probe after the idle time, then one per interval, then the RST.
      const slack = 500;
      assert.ok(probes[0].t - lastFromPeer.t >= IDLE_S * 1000 - 50 && probes[0].t - lastFromPeer.t <= IDLE_S * 1000 + slack, `first probe ${probes[0].t - lastFromPeer.t} ms after the peer's last segment`);
      for (let i = 1; i < probes.length; i++) {
        const gap = probes[i].t - probes[i - 1].t;
        assert.ok(gap >= INTERVAL_S * 1000 - 50 && gap <= INTERVAL_S * 1000 + slack, `probe gap ${gap} ms`);
      }
      // The kernel gives up one interval after the last probe (and sends an RST, which the capture shows only while
      // the peer's ARP entry still holds: by then it has usually failed, and the RST never leaves). The app hears
      // ETIMEDOUT; its time (the same wall clock as the capture's) is the detection, give or take its event loop.
      const detected = failedAt - lastFromPeer.t;
      assert.ok(failedAt - probes.at(-1)!.t >= INTERVAL_S * 1000 - 50, `ETIMEDOUT ${failedAt - probes.at(-1)!.t} ms after the last probe`);
      assert.ok(detected >= IDLE_S * 1000, `detected ${detected} ms after the last segment, before the idle time`);
      assert.ok(detected <= bound + 1000, `detected ${detected} ms after the last segment: more than idle + probes x interval (${bound} ms) + 1 s`);
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      network.teardown();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(linklabNamespaces().filter((name) => name.startsWith(`linklab-${process.pid}.`)), []);
  });
});
