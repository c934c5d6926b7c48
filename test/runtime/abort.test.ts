// An exception that escapes an app callback aborts the XS machine on Moddable ("XS abort: unhandled exception");
// the simulator prints the same and exits 1. Each case runs a tiny app in a child process.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Child, repoDir } from "../support/child.ts";

const register = join(repoDir, "host-sim", "register.mjs");

async function runApp(source: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), "linklab-abort-"));
  writeFileSync(join(dir, "main.mjs"), source);
  const child = new Child(["--import", register, join(dir, "main.mjs")]);
  try {
    const { code } = await child.waitForExit(15_000);
    const stderr = child.stderr.join("\n");
    assert.doesNotMatch(stderr, /Warning:/, "no process warning (nothing is hidden with --no-warnings)");
    return { code, stderr, stdout: child.stdout.join("\n") };
  } finally {
    child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("an uncaught exception in a callback", () => {
  it("aborts the board with 'XS abort: unhandled exception' and exit status 1 from a timer", async () => {
    const { code, stderr, stdout } = await runApp(`
      import Timer from "timer";
      Timer.set(() => { throw new Error("boom in timer"); }, 1);
      Timer.set(() => console.log("still running"), 200);
    `);
    assert.equal(code, 1);
    assert.match(stderr, /^XS abort: unhandled exception$/m);
    assert.match(stderr, /boom in timer/);
    assert.doesNotMatch(stdout, /still running/);
  });

  it("aborts the board from a socket callback (onError of a refused connect)", async () => {
    const { code, stderr } = await runApp(`
      import Listener from "embedded:io/socket/listener";
      import TCP from "embedded:io/socket/tcp";
      const listener = new Listener({ port: 0 });
      const port = listener.port;
      listener.close();
      new TCP({ address: "127.0.0.1", port, onError() { throw new TypeError("boom in onError"); } });
    `);
    assert.equal(code, 1);
    assert.match(stderr, /^XS abort: unhandled exception$/m);
    assert.match(stderr, /TypeError: boom in onError/);
  });

  it("does not abort when the callback catches its own exception", async () => {
    const { code, stderr } = await runApp(`
      import Timer from "timer";
      Timer.set(() => { try { throw new Error("handled"); } catch {} }, 1);
    `);
    assert.equal(code, 0, stderr);
  });
});
