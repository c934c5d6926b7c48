// The host runtime against real XS, line by line: each case in test/device/differential/cases/ (small ECMA-419
// apps, one per group of behaviours that these runtime tests pin) runs under `linklab run` with the same outside
// peer as on the board, and what it prints is compared with what real XS printed for it on Moddable's Linux
// runtime (test/device/differential/lin/<case>.txt, kept true by the device suite whenever an SDK is present).
// Every difference must be one that test/device/differential/known.ts lists as lin's and not the ESP32's.
import assert from "node:assert/strict";
import { startPeerService, type PeerService } from "../device/differential/service.ts";
import { known, type KnownDifference } from "../device/differential/known.ts";
import { caseApp, cases, compare, recorded, runOnHost } from "../device/differential/run.ts";

const seen = new Set<KnownDifference>();

describe("differential: the host runtime prints what real XS printed", function () {
  this.timeout(60_000);
  let service: PeerService;
  let app: string;
  before(async () => {
    service = await startPeerService();
    app = caseApp();
  });
  after(() => service.close());

  for (const name of cases) {
    it(`${name}: the same lines as real XS, but for the documented lin differences`, async () => {
      const lin = recorded(name);
      assert.ok(lin, `no recorded lin transcript for ${name}: record it with LINKLAB_RECORD=1 npx mocha test/device/differential.test.ts`);
      service.next = name;
      const host = await runOnHost(app, `127.0.0.1:${service.port}`);
      const { explained, unexplained } = compare(name, host, lin);
      for (const entry of explained) seen.add(entry);
      assert.deepEqual(unexplained, [], `host runtime:\n${host.join("\n")}`);
    });
  }

  it("every documented lin difference still occurs (the list in known.ts is not stale)", function () {
    if (this.test?.parent?.tests.some((test) => test.state === "failed")) this.skip();
    assert.deepEqual(known.filter((entry) => !seen.has(entry)).map((entry) => `${entry.case}: ${entry.host}`), []);
  });
});
