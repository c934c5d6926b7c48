// The simulator's transpile cache (host-sim/ts-cache.mjs): a second process gets the same program from the cache,
// and a file whose text changed is transpiled again, never served stale.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Child, repoDir } from "../support/child.ts";

const register = pathToFileURL(join(repoDir, "host-sim", "register.mjs")).href;

describe("the simulator's transpile cache", function () {
  this.timeout(30_000);
  let dir: string;
  let child: Child | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "linklab-ts-cache-"));
  });
  afterEach(() => {
    child?.stop();
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(file: string): Promise<string[]> {
    // TMPDIR puts the cache in this test's own directory, so its entries can be counted.
    child = new Child(["--import", register, file], { env: { TMPDIR: dir } });
    assert.deepEqual(await child.waitForExit(20_000), { code: 0, signal: null }, child.stderr.join("\n"));
    return child.stdout.filter(Boolean);
  }

  const entries = (): number => {
    const cache = join(dir, "linklab-ts-cache");
    return existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith(".js")).length : 0;
  };

  it("runs the same TypeScript program again from the cache, and a changed file anew", async () => {
    const file = join(dir, "program.ts");
    writeFileSync(file, 'const version: string = "one";\nconsole.log(`version ${version}`);\n');
    assert.deepEqual(await run(file), ["version one"]);
    assert.equal(entries(), 1, "the transpiled program was cached");
    // Mark the cached JavaScript, so the second run shows where its program came from.
    const entry = join(dir, "linklab-ts-cache", readdirSync(join(dir, "linklab-ts-cache")).find((f) => f.endsWith(".js"))!);
    writeFileSync(entry, readFileSync(entry, "utf8").replace('"one"', '"one, from the cache"'));
    assert.deepEqual(await run(file), ["version one, from the cache"], "the second run is served from the cache");
    assert.equal(entries(), 1);
    writeFileSync(file, 'const version: string = "two";\nconsole.log(`version ${version}`);\n');
    assert.deepEqual(await run(file), ["version two"], "a changed file is never served stale");
    assert.equal(entries(), 2);
  });
});
