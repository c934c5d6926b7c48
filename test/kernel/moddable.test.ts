// Kernel mode with a board on real XS (engine=moddable: mcsim in its own network namespace): the faults the default
// mode cannot send to Moddable's runtime (reset, partition, wifi-drop) reach it, because the kernel makes them.
// Needs kernel mode (root, nftables) and the Moddable SDK with Xvfb; without either, one line and skipped.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLab, type LabResult } from "../../host-sim/lab/lab.ts";
import { loadScenario, parseScenario } from "../../host-sim/lab/scenario.ts";
import { scenariosDir } from "../../host-sim/lab/cli.ts";
import { mcsimMissing } from "../../host-sim/moddable/mcsim.ts";
import { findSdk, isSdk } from "../../host-sim/moddable/sdk.ts";
import { linklabNamespaces } from "../../host-sim/netns/names.ts";
import { kernelModeMissing } from "../../host-sim/netns/mode.ts";

function whyNot(): string | undefined {
  const kernel = kernelModeMissing();
  if (kernel) return kernel;
  const found = findSdk();
  return isSdk(found) ? mcsimMissing() : found.missing;
}

function failed(result: LabResult): string {
  return result.expectations
    .filter((e) => !e.passed)
    .map((e) => `${e.text}: ${e.detail}`)
    .join("; ");
}

describe("kernel mode with a board on Moddable's runtime (engine=moddable)", function () {
  // The image build takes about 40 s the first time (then seconds); the scenario runs 28 s.
  this.timeout(240_000);

  before(function () {
    const reason = whyNot();
    if (reason) {
      process.stdout.write(`\n  skipped: ${reason}\n`);
      this.skip();
    }
  });

  it("accepts network faults for a moddable board in kernel mode, and still refuses them in the default mode", () => {
    const text = "duration 10s\nboard server role=server engine=moddable port=8460 beaconMs=0\nboard c1 role=client server=@server port=8460\nat 2s partition server c1\n";
    assert.throws(() => parseScenario(text, "x.lab"), /x\.lab:4: partition cannot reach board server \(engine=moddable\)/);
    assert.equal(parseScenario(text, "x.lab", "kernel").timeline.length, 1);
    assert.equal(parseScenario("net kernel\n" + text, "x.lab").timeline.length, 1);
  });

  it("a real-XS server in its namespace gets a reset, a partition and a Wi-Fi drop (kernel-moddable.lab)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "linklab-kernel-moddable-"));
    try {
      const result = await runLab(loadScenario(join(scenariosDir, "kernel-moddable.lab")), { captureDir: dir });
      assert.ok(result.passed, failed(result));
      // The reset reached the XS server itself: its firmware logged the closed connection at once.
      const reset = result.events.find((e) => e.board === "lab" && e.name === "reset")!;
      const closed = result.events.find((e) => e.board === "server" && e.name === "peer-closed" && e.t >= reset.t);
      assert.ok(closed && closed.t - reset.t < 500, "the XS server heard the reset within 0.5 s");
      // mcsim's traffic crossed its own interface (the server's port on the router), from its lab address: it ran in
      // its namespace, not on the host's loopback (where lin's connections leave from 127.0.0.1).
      const sources = execFileSync("tshark", ["-n", "-r", join(dir, "server.pcap"), "-Y", "tcp.srcport == 8460", "-T", "fields", "-e", "ip.src"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      const address = result.boards.find((b) => b.id === "server")!.addresses[0];
      assert.deepEqual([...new Set(sources.split("\n").filter(Boolean))], [address]);
      assert.deepEqual(linklabNamespaces().filter((name) => name.startsWith(`linklab-${process.pid}.`)), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
