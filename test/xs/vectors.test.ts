// Each file in test/xs/vectors/ exports vectors(): the firmware's pure modules exercised with fixed inputs. The
// same function runs in Node (the simulator's world) and on the real XS engine; the results must be identical.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { installGlobals } from "../../host-sim/runtime/globals.ts";
import { repoDir, xsnapVersion } from "../../host-sim/harness/xs.ts";
import { runInNode, runInXS } from "./harness.ts";

const vectorDir = join(repoDir, "test", "xs", "vectors");
const vectorFiles = readdirSync(vectorDir).filter((name) => name.endsWith(".ts")).sort();

describe("firmware vectors on the XS engine", function () {
  this.timeout(20_000);
  let version = "";

  before(async () => {
    installGlobals(); // trace, ArrayBuffer.fromString ... as on the board, for the Node side
    version = await xsnapVersion();
  });

  it("runs on the XS version docs/xs.md records", async () => {
    const { readFileSync } = await import("node:fs");
    const docs = readFileSync(join(repoDir, "docs", "xs.md"), "utf8");
    assert.match(version, /^xsnap \S+ \(XS \d+\.\d+\.\d+\)$/);
    assert.ok(docs.includes(version), `docs/xs.md names "${version}"`);
  });

  for (const file of vectorFiles) {
    const name = file.replace(/\.ts$/, "");
    it(`gives the same ${name} results on XS as on Node`, async () => {
      const path = join(vectorDir, file);
      const node = await runInNode(path, "vectors");
      const xs = await runInXS(path, "vectors");
      assert.deepStrictEqual(xs.result, node);
    });
  }
});
