// host-sim/scenarios/groups.lab: two pairs on one network, both servers beaconing to one port; the class group keeps
// them apart (no server shakes hands with the other pair's client), also across the clients' reboots. Without the
// group words the same scenario fails (c1 adopts s2, the faster beacon), which was checked by hand when it was written.
import { strict as assert } from "node:assert";
import { linklab } from "../support/child.ts";

describe("the groups scenario", function () {
  this.timeout(90000);

  it("passes every expectation: each client online to its own group's server, no cross-adoption", async () => {
    const lab = linklab(["lab", "groups"]);
    try {
      const { code } = await lab.waitForExit(80000);
      const out = lab.stdout.join("\n");
      assert.equal(code, 0, out);
      assert.match(out, /PASS {2}s2 no handshake c1 /);
      assert.match(out, /PASS {2}s1 no handshake c2 /);
      assert.match(out, /PASS {2}c1 log "beacon of another group ignored server=s2 group=pair-2 mine=pair-1"/);
      assert.match(out, /all 11 expectations passed/);
    } finally {
      lab.stop();
    }
  });
});
