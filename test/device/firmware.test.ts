// The device suite, part 1: this repository's firmware built by the user's Moddable SDK (mcconfig, the SDK's own
// typings, real XS) for lin, and run on Moddable's desktop runtime (mcsim), our stand-in for the ESP32 here.
// Each role boots without an XS abort; the server holds the protocol conversation with an outside peer; the client
// finds a server running on the host simulator, loses it when it crashes and reconnects when it is back.
import assert from "node:assert/strict";
import { basename } from "node:path";
import ts from "typescript";
import { RawPeer } from "../hostile/peer.ts";
import { Child, linklabBin, repoDir } from "../support/child.ts";
import { boot, freePort, image, requireSdk, sdk, stopBoards } from "./support.ts";

const XS_ABORT = /XS abort/;

describe("device: the firmware on real XS (Moddable SDK, lin)", function () {
  this.timeout(240_000);
  before(function () {
    requireSdk(this);
  });
  afterEach(stopBoards);

  it("builds with mcconfig, and every module passes mcconfig's own per-file compile against the SDK's typings", async () => {
    const { buildApp } = await import("../../host-sim/moddable/build.ts");
    const result = await buildApp(sdk!, { appDir: repoDir, overrides: { role: "server" } });
    assert.ok(result.ok, result.summary);
    // mcconfig skips tsc for modules that did not change since the last build, so the check is made again here
    // on the tsconfigs it generated: types = the SDK's xs and global typings, paths = its typings/ and our modules.
    const names = result.tsconfigs.map((file) => basename(file, "-tsconfig.json")).sort();
    for (const module of ["main", "board", "server", "client"]) assert.ok(names.includes(module), `mcconfig made a tsconfig for ${module}.ts: ${names.join(" ")}`);
    const errors = result.tsconfigs.flatMap((file) => {
      const parsed = ts.getParsedCommandLineOfConfigFile(file, { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
      assert.ok(parsed, file);
      const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
      return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? file}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
    });
    assert.deepEqual(errors, []);
  });

  for (const role of ["server", "client", "both"] as const) {
    it(`boots as role=${role} and runs its first seconds without an XS abort`, async () => {
      const port = await freePort();
      const board = await boot(await image({ appDir: repoDir, overrides: { role, port: String(port), server: "127.0.0.1", backoffMaxMs: "1000" } }));
      await board.waitForLine(/I main: linklab booting .*role=/);
      // The first seconds of each role: the server listens; the client tries 127.0.0.1 (refused when alone, or its
      // own server with role=both) and chooses a backoff delay at least once.
      if (role !== "client") await board.waitForLine(/tcp\.server: state stopped->listening/);
      if (role === "both") await board.waitForLine(/tcp\.client: state handshaking->online reason=welcome/);
      if (role === "client") await board.waitForLine(/tcp\.client: backoff delay chosen/);
      // Still alive after boot: the server accepts a connection and logs it; the client logs its next attempt.
      const mark = board.lines.length;
      if (role === "client") await board.waitForLine(/tcp\.client: connecting \(SYN sent\)/, 5000, mark);
      else {
        const peer = await RawPeer.connect(port);
        await board.waitForLine(/tcp\.server: connection accepted/, 5000, mark);
        peer.destroy();
      }
      assert.deepEqual(board.lines.filter((line) => XS_ABORT.test(line)), []);
    });
  }

  it("serves the protocol to an outside peer: HELLO/WELCOME, ECHO, PING/PONG, BYE and a clean close", async () => {
    const port = await freePort();
    const board = await boot(await image({ appDir: repoDir, overrides: { role: "server", port: String(port), id: "xs-server" } }));
    await board.waitForLine(/tcp\.server: state stopped->listening/);
    const peer = await RawPeer.connect(port);
    try {
      await peer.write("HELLO outside\n");
      assert.match(await peer.waitLine(/^WELCOME /), /^WELCOME xs-server session=\d+ heartbeatMs=1000 timeoutMs=3000$/);
      await peer.write("ECHO 1 hello board\n");
      assert.equal(await peer.waitLine(/^ECHO /), "ECHO 1 hello board");
      await peer.write("PING 7\n");
      assert.equal(await peer.waitLine(/^PONG /), "PONG 7");
      await peer.write("BYE done\n");
      await peer.waitLine(/^BYE/);
      assert.equal(await peer.waitEnded(), "fin");
      await board.waitForLine(/tcp\.server: session state online->closed/);
      assert.deepEqual(board.lines.filter((line) => XS_ABORT.test(line)), []);
    } finally {
      peer.destroy();
    }
  });

  it("as a client, reconnects with backoff to a server on the host simulator that crashes and comes back", async () => {
    const port = await freePort();
    const server = (): Child => new Child([linklabBin, "run", repoDir, "role=server", `port=${port}`, "id=sim-server", "beaconMs=0"], { env: { LINKLAB_BOARD_ADDRESS: "127.0.0.1" } });
    let sim = server();
    const board = await boot(await image({ appDir: repoDir, overrides: { role: "client", server: "127.0.0.1", port: String(port), backoffMaxMs: "1000", id: "xs-client" } }));
    try {
      await board.waitForLine(/tcp\.client: state handshaking->online reason=welcome/, 20_000);
      sim.process.kill("SIGKILL"); // a crash: its kernel closes the connection (FIN/RST), no BYE
      await sim.waitForExit();
      const lost = board.lines.length;
      await board.waitForLine(/tcp\.client: (server closed|state online->)/, 10_000, lost);
      await board.waitForLine(/tcp\.client: backoff delay chosen/, 10_000, lost);
      sim = server();
      await board.waitForLine(/tcp\.client: state handshaking->online reason=welcome/, 20_000, lost);
      assert.deepEqual(board.lines.filter((line) => XS_ABORT.test(line)), []);
    } finally {
      sim.process.kill("SIGKILL");
    }
  });
});
