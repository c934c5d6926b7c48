// `linklab run`: any small Moddable app runs as one simulated board; usage errors are one line and exit 2;
// SIGINT/SIGTERM close the board's sockets and exit cleanly.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linklab, repoDir, type Child } from "../support/child.ts";

/** A UDP port that was free a moment ago (the fixture app binds it by config). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

describe("linklab run", function () {
  this.timeout(30_000);
  let child: Child | undefined;
  let appDir: string;

  beforeEach(() => {
    appDir = mkdtempSync(join(tmpdir(), "linklab-app-"));
    cpSync(join(repoDir, "test", "fixtures", "echo-app"), appDir, { recursive: true });
  });
  afterEach(() => {
    child?.stop();
    child = undefined;
    rmSync(appDir, { recursive: true, force: true });
  });

  it("runs a small ECMA-419 app from another directory: echo over TCP, then a UDP datagram to itself", async () => {
    const udpPort = await freeUdpPort();
    child = linklab(["run", appDir, `udpPort=${udpPort}`, "greeting=hi-there"]);
    await child.waitForLine(/^listening port=\d+$/);
    await child.waitForLine(/^client: connected writable=true$/);
    await child.waitForLine(/^client: echoed hi-there$/);
    assert.match(await child.waitForLine(/^udp: received /), /^udp: received ping from=127\.0\.0\.1$/);
  });

  it("closes its sockets and exits 0 on SIGTERM", async () => {
    child = linklab(["run", appDir, `udpPort=${await freeUdpPort()}`]);
    await child.waitForLine(/^udp: received ping/);
    child.process.kill("SIGTERM");
    assert.deepEqual(await child.waitForExit(), { code: 0, signal: null });
  });

  it("exits 0 on SIGINT", async () => {
    child = linklab(["run", appDir, `udpPort=${await freeUdpPort()}`]);
    await child.waitForLine(/^listening port=/);
    child.process.kill("SIGINT");
    assert.deepEqual(await child.waitForExit(), { code: 0, signal: null });
  });

  it("runs with a config key the manifest does not declare, as mcconfig does, and warns in one line", async () => {
    child = linklab(["run", appDir, `udpPort=${await freeUdpPort()}`, "grreting=x"]);
    await child.waitForLine(/^listening port=/);
    assert.equal(child.stderr.filter(Boolean).length, 1, child.stderr.join("\n"));
    assert.match(child.stderr[0], /^linklab: warning: config key 'grreting' is not in manifest\.json/);
  });

  it("refuses a word that is not key=value with one line and exit 2", async () => {
    child = linklab(["run", appDir, "=5"]);
    assert.deepEqual(await child.waitForExit(), { code: 2, signal: null });
    assert.match(child.stderr.join("\n"), /^linklab: /);
    assert.equal(child.stderr.filter(Boolean).length, 1);
  });

  it("refuses an app whose main module does not compile with one line and exit 2", async () => {
    rmSync(join(appDir, "main.js"));
    writeFileSync(join(appDir, "main.ts"), "trace(1;\n");
    child = linklab(["run", appDir]);
    assert.deepEqual(await child.waitForExit(), { code: 2, signal: null });
    assert.equal(child.stderr.filter(Boolean).length, 1, child.stderr.join("\n"));
    assert.match(child.stderr[0], /cannot load .*main\.ts/);
  });

  it("refuses a directory without manifest.json with one line and exit 2", async () => {
    rmSync(join(appDir, "manifest.json"));
    child = linklab(["run", appDir]);
    assert.deepEqual(await child.waitForExit(), { code: 2, signal: null });
    assert.match(child.stderr.join("\n"), /no manifest\.json/);
  });

  it("refuses an app that imports a module neither Moddable nor its manifest provides", async () => {
    writeFileSync(join(appDir, "main.js"), 'import Thing from "no-such-module";\ntrace(String(Thing));\n');
    child = linklab(["run", appDir]);
    assert.deepEqual(await child.waitForExit(), { code: 2, signal: null });
    assert.match(child.stderr.join("\n"), /no-such-module/);
  });
});
