// What an esp32 build of linklab gets, read from what mcconfig generates. ESP-IDF cannot be installed here, so the
// build itself stops at `$IDF_PATH not set`; by then mcconfig has written the makefile (with the XS heap it will
// create) and the merged sdkconfig (Moddable's esp32 defaults with linklab's sdkconfig/ over them). This checks the
// facts the docs and the simulator rely on: the fixed heap of manifest.json, room in lwIP for every connection a
// full server holds, and lwIP's buffers equal to the host runtime's model of them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { TCP_SND_BUF, TCP_WND } from "../../host-sim/runtime/tcp.ts";
import { sdkEnv } from "../../host-sim/moddable/sdk.ts";
import { maxClientsFitting, XS_HEAP } from "linklab/settings";
import { repoDir } from "../support/child.ts";
import { requireSdk } from "./support.ts";

function find(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) if (basename(entry) === name) return join(dir, entry);
  return undefined;
}

describe("device: what an esp32 build is given (mcconfig's generated makefile and sdkconfig)", function () {
  this.timeout(120_000);
  let makefile = "";
  let sdkconfig = "";
  let out = "";

  before(function () {
    const sdk = requireSdk(this);
    out = mkdtempSync(join(tmpdir(), "linklab-esp32-config-"));
    const env = sdkEnv(sdk);
    delete env.IDF_PATH; // the same output whether or not ESP-IDF is there: mcconfig writes these files first
    const result = spawnSync(join(sdk.binDir, "mcconfig"), ["-m", "-p", "esp32", "-t", "build", "-o", out], { cwd: repoDir, env, encoding: "utf8", timeout: 100_000 });
    const make = find(out, "makefile");
    const merged = find(out, "sdkconfig.mc");
    assert.ok(make && merged && existsSync(make) && existsSync(merged), `mcconfig wrote no makefile or sdkconfig.mc:\n${result.stdout}\n${result.stderr}`);
    makefile = readFileSync(make, "utf8");
    sdkconfig = readFileSync(merged, "utf8");
  });
  after(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  const option = (name: string): number => Number(new RegExp(`^${name}=(\\d+)$`, "m").exec(sdkconfig)?.[1]);

  it("creates the fixed XS heap of manifest.json's platforms.esp32.creation (chunk 32768, 8064 slots, no growth)", () => {
    const creation = /^CREATION = -c (.*)$/m.exec(makefile)?.[1];
    assert.ok(creation, "a CREATION line in the makefile");
    const [chunk, chunkGrowth, slots, slotGrowth] = creation.split(",").map(Number);
    assert.deepEqual({ chunk, chunkGrowth, slots, slotGrowth }, { chunk: XS_HEAP.chunkBytes, chunkGrowth: 0, slots: XS_HEAP.slots, slotGrowth: 0 });
  });

  it("lets lwIP hold every connection of a full server, so the last one gets ERR busy, not an lwIP refusal", () => {
    const most = maxClientsFitting(256);
    // online sessions + as many pending handshakes + one being told ERR busy + role=both's own client
    assert.ok(option("CONFIG_LWIP_MAX_ACTIVE_TCP") >= 2 * most + 2, `CONFIG_LWIP_MAX_ACTIVE_TCP=${option("CONFIG_LWIP_MAX_ACTIVE_TCP")} for maxClients ${most}`);
  });

  it("gives lwIP the send buffer and receive window the host runtime models (TCP_SND_BUF, TCP_WND)", () => {
    assert.deepEqual({ snd: option("CONFIG_LWIP_TCP_SND_BUF_DEFAULT"), wnd: option("CONFIG_LWIP_TCP_WND_DEFAULT") }, { snd: TCP_SND_BUF, wnd: TCP_WND });
  });
});
