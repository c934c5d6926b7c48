// Smoke test of `npm run bench`: bench/run.ts --quick into a temporary directory, then each bench's JSON is checked
// for shape (figures present, finite, counted), never for speed. Benches owned elsewhere are skipped by --quick/--out.
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Child } from "../support/child.ts";
import type { DetectionRow } from "../../bench/detection/heartbeat.ts";
import type { KeepaliveRow } from "../../bench/detection/keepalive.ts";
import type { ServerRow, WifiRow } from "../../bench/reconnect.ts";
import type { ScaleRow } from "../../bench/scale.ts";
import type { Machine, Stats } from "../../bench/support.ts";
import type { BulkRow, EchoRow } from "../../bench/throughput.ts";

/** What each bench's JSON file holds, as the benches write it (writeResult's fields, then the bench's data). */
type Common = { bench: string; quick: boolean; command: string; machine: Machine };
type Results = {
  detection: Common & { trials: number; rows: DetectionRow[]; keepalive: KeepaliveRow[] };
  reconnect: Common & { wifi: WifiRow[]; server: ServerRow[] };
  throughput: Common & { rounds: number; messages: number; echo: EchoRow[]; bulk: BulkRow[]; ratio: Record<string, number> };
  scale: Common & { rows: ScaleRow[] };
};
const benches = ["detection", "reconnect", "throughput", "scale"] as const;

const finite = (value: unknown, what: string): void => assert.ok(typeof value === "number" && Number.isFinite(value), `${what} is a finite number, got ${JSON.stringify(value)}`);

function checkStats(s: Stats, what: string, n?: number): void {
  for (const key of ["min", "p50", "p99", "max", "mean"] as const) finite(s[key], `${what}.${key}`);
  assert.ok(s.min <= s.p50 && s.p50 <= s.p99 && s.p99 <= s.max, `${what}: min <= p50 <= p99 <= max (${JSON.stringify(s)})`);
  if (n !== undefined) assert.equal(s.n, n, `${what}: ${n} samples`);
}

describe("npm run bench --quick", function () {
  this.timeout(180_000);
  let outDir: string;
  let run: Child;
  let exit: { code: number | null };
  const json = <K extends keyof Results>(name: K): Results[K] => JSON.parse(readFileSync(join(outDir, `${name}.json`), "utf8")) as Results[K];

  before(async () => {
    outDir = mkdtempSync(join(tmpdir(), "linklab-bench-"));
    run = new Child(["--import", "./host-sim/register.mjs", "bench/run.ts", "--quick", "--quiet", "--out", outDir]);
    exit = await run.waitForExit(170_000);
  });
  after(() => {
    run?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("exits 0, prints a table per bench and writes one JSON file for each of its own benches", () => {
    assert.equal(exit.code, 0, `stdout:\n${run.stdout.join("\n")}\nstderr:\n${run.stderr.join("\n")}`);
    assert.deepEqual(readdirSync(outDir).sort(), ["detection.json", "reconnect.json", "scale.json", "throughput.json", "ui-render.json"]);
    for (const name of benches) assert.ok(run.stdout.includes(`== ${name}`), `a section for ${name}`);
    assert.ok(run.stdout.some((l) => /^-+(\s+-+)+$/.test(l)), "a table rule line");
    assert.ok(run.stdout.some((l) => /^short-vs-persistent: skipped/.test(l)), "short-vs-persistent reported as skipped (it cannot write to --out)");
  });

  it("prints no process warning (nothing is hidden with --no-warnings)", () => {
    assert.deepEqual(run.stderr.filter((l) => /Warning:/.test(l)), []);
  });

  it("records the machine and the command in every result", () => {
    for (const name of benches) {
      const r = json(name);
      assert.equal(r.bench, name);
      assert.equal(r.quick, true);
      assert.match(r.command, /bench\/run\.ts --quick/);
      assert.ok(r.machine.nproc >= 1 && typeof r.machine.cpuModel === "string" && /^v\d+/.test(r.machine.node), JSON.stringify(r.machine));
      assert.ok(r.machine.openFilesLimit > 0);
    }
  });

  it("detection: every trial of both directions is accounted for, with quantiles and ratios to timeoutMs", () => {
    const r = json("detection");
    const directions = r.rows.map((row) => row.direction).sort();
    assert.deepEqual(directions, ["client-detects-server", "server-detects-client"]);
    for (const row of r.rows) {
      // A verdict, none in time (missed) or one before the cut (early): each trial lands in exactly one (on a
      // very busy machine a stall can make a verdict early or late; that is a figure, not a broken bench).
      assert.equal(row.detectMs.n + row.missed + row.early, r.trials, `${row.direction}: every trial counted`);
      assert.ok(row.detectMs.n > 0, `${row.direction}: at least one verdict`);
      checkStats(row.detectMs, `${row.direction} detectMs`);
      finite(row.ratioP99, "ratioP99");
      assert.equal(row.ratioMax, Math.round((row.detectMs.max / row.timeoutMs) * 1000) / 1000);
    }
    assert.equal(r.keepalive[0].computedS, 7200 + 9 * 75, "lwIP defaults computed");
    assert.ok(r.keepalive.some((k) => k.computedS === 20 && typeof k.notMeasured === "string"), "ESP-IDF settings computed, not measured in --quick");
  });

  it("reconnect: gotIP-to-attempt and server-return figures for each client count", () => {
    const r = json("reconnect");
    assert.ok(r.wifi.length >= 1 && r.server.length >= 1);
    for (const row of r.wifi) {
      checkStats(row.gotIpToAttemptMs, "gotIpToAttemptMs", row.clients * row.trials);
      checkStats(row.gotIpToOnlineMs, "gotIpToOnlineMs", row.clients * row.trials);
      assert.ok(row.gotIpToAttemptMs.max <= row.gotIpToOnlineMs.max, "the attempt comes before online");
    }
    for (const row of r.server) {
      checkStats(row.allOnlineMs, "allOnlineMs", row.trials);
      assert.ok(row.pendingStepCapMs.min >= 1000, "a backoff step was pending (cap >= 2 x base)");
    }
  });

  it("throughput: runtime and node:net figures for ECHO and bulk, and their ratios", () => {
    const r = json("throughput");
    assert.deepEqual(r.echo.map((e) => e.side), ["runtime", "node"]);
    for (const e of r.echo) {
      checkStats(e.rttMs, `echo ${e.side}`, r.rounds * r.messages);
      assert.ok(e.perSecond > 0);
    }
    assert.equal(r.bulk.length, 4);
    for (const b of r.bulk) {
      checkStats(b.mbPerS, `bulk ${b.sender}>${b.receiver}`, r.rounds);
      assert.ok(b.mbPerS.min > 0);
    }
    for (const key of ["echoP50", "echoMean", "bulkRuntimeBothEnds", "bulkRuntimeSender", "bulkRuntimeReceiver"]) finite(r.ratio[key], `ratio.${key}`);
  });

  it("scale: the server's CPU, heap, heartbeats and verdicts with every client online", () => {
    const r = json("scale");
    assert.ok(r.rows.length >= 1);
    for (const row of r.rows) {
      assert.equal(row.skipped, undefined, `size ${row.clients} skipped: ${row.skipped}`);
      assert.equal(row.onlineAtStart, row.clients);
      for (const key of ["serverCpuPercent", "heapMiB", "heapPerSessionKiB", "eventLoopDelayP99Ms", "pingsSent", "missedHeartbeats", "falseOfflineServer", "falseLostClient"] as const) finite(row[key], `scale.${key}`);
      assert.ok((row.pingsSent ?? 0) > 0, "heartbeats were exchanged in the window");
    }
  });
});
