// Moddable's own socket tests (the SDK's tests/modules/io/socket/{tcp,listener,udp}, 41 tests), read from the user's
// SDK at test time and run by one small harness app (test/device/testmc/) on both runtimes: built by mcconfig and
// run on mcsim (real XS, Moddable's lin sockets), and run by `linklab run` on the host simulator. Every test must
// pass on both, and the two runtimes must agree test by test. The TCP tests talk HTTP to www.example.com:80; the
// UDP ones SNTP to pool.ntp.org:123. The harness resolves both names to 127.0.0.1, where this file serves HTTP on
// port 80 and SNTP on port 123 (so it needs root, as CI has).
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createSocket as createDgramSocket, type Socket as DgramSocket } from "node:dgram";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Child, linklabBin } from "../support/child.ts";
import { boot, image, requireSdk, sdk, stopBoards } from "./support.ts";

const here = dirname(fileURLToPath(import.meta.url));
const KINDS = ["tcp", "listener", "udp"] as const;

/** The SDK's socket tests as module names, e.g. "socket-tests/udp/write"; empty without an SDK. */
function sdkTests(): string[] {
  if (!sdk) return [];
  return KINDS.flatMap((kind) => {
    const dir = join(sdk!.root, "tests", "modules", "io", "socket", kind);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((file) => file.endsWith(".js"))
      .sort()
      .map((file) => `socket-tests/${kind}/${file.slice(0, -3)}`);
  });
}

/** The harness app for one engine, in a fresh directory: our runner files plus a manifest naming the SDK's tests. */
function harnessApp(engine: "xs" | "host", tests: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), `linklab-testmc-${engine}-`));
  for (const file of ["main.js", "globals.js", `host-objects-${engine === "xs" ? "xs" : "node"}.js`]) copyFileSync(join(here, "testmc", file), join(dir, file));
  writeFileSync(join(dir, "testmc-list.js"), `export default ${JSON.stringify(tests, null, "\t")};\n`);
  const root = sdk!.root;
  const modules: Record<string, string | string[]> = {
    "*": engine === "xs" ? ["./main", `${root}/tools/testmc/hosttest`] : "./main",
    "test262-harness": `${root}/tools/test262/harness`,
    "testmc-globals": "./globals",
    "testmc-host-objects": engine === "xs" ? "./host-objects-xs" : "./host-objects-node",
    "testmc-list": "./testmc-list",
  };
  for (const kind of KINDS) modules[`socket-tests/${kind}/*`] = `${root}/tests/modules/io/socket/${kind}/*`;
  const manifest = {
    include: ["$(MODDABLE)/examples/manifest_base.json", "$(MODDABLE)/examples/manifest_net.json", "$(MODDABLE)/modules/io/manifest.json"],
    modules,
    // As tools/testmc does: test262's harness assigns Test262Error.prototype.toString, which only works before XS
    // freezes the primordials at link time (after that, the inherited read-only toString makes it throw).
    preload: ["test262-harness"],
    strip: [],
    // main awaits at its top level (the control server, then the test).
    defines: { main: { async: 1 } },
    config: { control: "" },
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, "\t") + "\n");
  return dir;
}

/** "pass", or "fail: <reason>" from the test's result line, or how the machine died before it printed one. */
async function verdict(name: string, waitFor: (pattern: RegExp) => Promise<string>, log: () => string[]): Promise<string> {
  try {
    // Not anchored: lin's sockets printf without a newline ("write failed"), so a result can end such a line.
    const line = await waitFor(new RegExp(`testmc: ${name.replaceAll("/", "\\/")} (pass|fail)`));
    return / pass$/.test(line) ? "pass" : `fail: ${line.slice(line.lastIndexOf(" fail") + 6)}`;
  } catch {
    return `fail: no result line; last lines: ${log().filter((line) => !line.startsWith("instruments")).slice(-3).join(" | ")}`;
  }
}

/** Tells each machine which test to run: one line with the test's module name per connection. */
async function controlServer(): Promise<{ server: NetServer; port: number; next: string }> {
  const control = { server: createNetServer(), port: 0, next: "" };
  control.server.on("connection", (socket) => {
    socket.on("error", () => {});
    socket.end(control.next + "\n");
  });
  await new Promise<void>((resolve) => control.server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  control.port = (control.server.address() as { port: number }).port;
  return control;
}

/** pool.ntp.org as the UDP tests see it: an SNTP server (RFC 4330 mode 4 reply to a mode 3 request) on 127.0.0.1:123. */
function serveSntp(): Promise<DgramSocket> {
  return new Promise((resolve, reject) => {
    const socket = createDgramSocket("udp4");
    socket.on("message", (request, from) => {
      if (request.length < 48) return;
      const reply = Buffer.alloc(48);
      reply[0] = (4 << 3) | 4; // version 4, mode 4 (server)
      reply[1] = 1; // stratum 1
      const seconds = Math.floor(Date.now() / 1000) + 2_208_988_800;
      reply.writeUInt32BE(seconds >>> 0, 40); // transmit timestamp
      socket.send(reply, from.port, from.address);
    });
    socket.once("error", reject);
    socket.bind({ address: "127.0.0.1", port: 123, exclusive: true }, () => resolve(socket));
  });
}

/** www.example.com as the TCP tests see it: an HTTP server on 127.0.0.1:80. */
function serveHttp(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<!doctype html><html><head><title>Example Domain</title></head><body>" + "x".repeat(1024) + "</body></html>\n");
    });
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 80, exclusive: true }, () => resolve(server));
  });
}

const tests = sdkTests();
const outcome: Record<"xs" | "host", Map<string, string> | undefined> = { xs: undefined, host: undefined };

describe("device: Moddable's own socket tests on both runtimes", function () {
  this.timeout(600_000);
  let http: Server | undefined;
  let sntp: DgramSocket | undefined;

  before(async function () {
    requireSdk(this);
    try {
      http = await serveHttp();
      sntp = await serveSntp();
    } catch (error) {
      process.stdout.write(`\n  skipped: cannot serve the stand-ins for www.example.com (127.0.0.1:80) and pool.ntp.org (127.0.0.1:123): ${(error as Error).message}; run as root\n`);
      this.skip();
    }
    const control = await controlServer();
    const words = { control: `127.0.0.1:${control.port}` };
    // Real XS: the harness app built once by mcconfig, one mcsim per test.
    const xsImage = await image({ appDir: harnessApp("xs", tests), overrides: words });
    outcome.xs = new Map();
    for (const name of tests) {
      control.next = name;
      const board = await boot(xsImage);
      outcome.xs.set(name, await verdict(name, (pattern) => board.waitForLine(pattern, 12_000), () => board.lines));
      await stopBoards();
    }
    // The host simulator: the same runner and tests, one `linklab run` per test.
    const hostApp = harnessApp("host", tests);
    outcome.host = new Map();
    for (const name of tests) {
      control.next = name;
      const child = new Child([linklabBin, "run", hostApp, `control=${words.control}`]);
      try {
        outcome.host.set(name, await verdict(name, (pattern) => child.waitForLine(pattern, 12_000), () => [...child.stdout, ...child.stderr]));
      } finally {
        child.process.kill("SIGKILL");
        await child.exited;
      }
    }
    control.server.close();
  });
  after(async () => {
    http?.close();
    sntp?.close();
    await stopBoards();
  });

  it(`finds the SDK's ${tests.length || 41} socket tests`, () => {
    assert.equal(tests.length, 41, tests.join(" "));
  });
  for (const name of tests) {
    it(`${name.replace("socket-tests/", "")} passes on Moddable (mcsim) and under linklab run`, () => {
      assert.deepEqual({ moddable: outcome.xs?.get(name), "linklab run": outcome.host?.get(name) }, { moddable: "pass", "linklab run": "pass" });
    });
  }
});
