// `linklab report RUN.json -o run.html`: one self-contained HTML file (its script, style and run inside; nothing
// fetched when it opens), and one clear line for input that holds no run.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { linklab, type Child } from "../support/child.ts";

const fixture = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "default-run.json");

describe("linklab report", function () {
  this.timeout(30_000);
  let dir = "";
  let child: Child | undefined;
  before(() => (dir = mkdtempSync(join(tmpdir(), "linklab-report-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => child?.stop());

  it("writes one self-contained HTML file holding the run, its script and its style", async () => {
    const out = join(dir, "run.html");
    child = linklab(["report", fixture, "-o", out]);
    assert.deepEqual(await child.waitForExit(20_000), { code: 0, signal: null }, child.stderr.join("\n"));
    assert.match(child.stdout.join("\n"), /linklab report: wrote .*run\.html \(\d+ KiB, \d+ events; opens without network\)/);
    const html = readFileSync(out, "utf8");
    assert.match(html, /<script type="application\/json" id="run-data">/);
    assert.match(html, /<style>/);
    assert.match(html, /linklab report: linklab: one server, two clients/);
    assert.ok(!/<script[^>]+src=|<link[^>]+href=|<img[^>]+src="http|url\(http|@import/i.test(html), "nothing loaded from elsewhere");
    assert.match(html, /connect-src 'self'/, "the page may not reach the network (Content-Security-Policy)");
    const data = /<script type="application\/json" id="run-data">(.*?)<\/script>/s.exec(html)![1];
    const run = JSON.parse(data) as { header: { boards: unknown[] }; events: unknown[] };
    assert.equal(run.header.boards.length, 5);
    assert.ok(run.events.length > 300);
  });

  it("refuses a cut-off file, a missing file and a missing argument with one clear line each (exit 2)", async () => {
    const cut = join(dir, "cut.json");
    writeFileSync(cut, readFileSync(fixture, "utf8").slice(0, 4000));
    child = linklab(["report", cut, "-o", join(dir, "cut.html")]);
    assert.deepEqual(await child.waitForExit(20_000), { code: 2, signal: null });
    assert.match(child.stderr.join("\n"), /^linklab report: cut\.json: cut off or not JSON/m);
    child = linklab(["report", join(dir, "absent.json")]);
    assert.deepEqual(await child.waitForExit(20_000), { code: 2, signal: null });
    assert.match(child.stderr.join("\n"), /absent\.json: cannot read it \(ENOENT\)/);
    child = linklab(["report"]);
    assert.deepEqual(await child.waitForExit(20_000), { code: 2, signal: null });
    assert.match(child.stderr.join("\n"), /which run\?[\s\S]*usage: linklab report RUN\.json/);
  });
});
