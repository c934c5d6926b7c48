// main.ts as a person runs it: `linklab run key=value ...` boots the firmware as one simulated board; with
// role=both its client finds its own server by beacon and goes online; bad config is reported, not fatal.
import { strict as assert } from "node:assert";
import { linklab, type Child } from "../support/child.ts";
import { freeTcpPort, freeUdpPort } from "../support/ports.ts";

/** Booting compiles the firmware with ts-node: allow for a loaded machine. */
const BOOT_MS = 40_000;

describe("the firmware run by linklab run", function () {
  this.timeout(90_000);
  let child: Child | undefined;
  afterEach(() => child?.stop());

  it("boots role=both, finds its own server by beacon and goes online", async () => {
    const port = await freeTcpPort();
    const beaconPort = await freeUdpPort();
    child = linklab(["run", "role=both", "id=b1", `port=${port}`, `beaconPort=${beaconPort}`, "beaconAddress=127.0.0.1", "beaconMs=200", "heartbeatMs=200", "timeoutMs=600", "echoMs=100"]);
    await child.waitForLine(/I main: linklab booting id=b1 role=both server=true client=true/, BOOT_MS);
    await child.waitForLine(new RegExp(`I tcp.server: state stopped->listening reason=start local=[0-9.]+:${port}`));
    await child.waitForLine(/I tcp.client: server found by beacon server=b1/);
    await child.waitForLine(/I tcp.client: state handshaking->online reason=welcome server=b1/);
    await child.waitForLine(/I tcp.client: echo reply seq=0 /);
    child.process.kill("SIGTERM");
    const exit = await child.waitForExit(5000);
    assert.equal(exit.code, 0);
  });

  it("reports a bad config value with key, value and what is allowed, and keeps running", async () => {
    const port = await freeTcpPort();
    child = linklab(["run", "role=server", "id=s9", `port=${port}`, "timeoutMs=500", "heartbeatMs=900", "beaconMs=0"]);
    const line = await child.waitForLine(/E settings: bad config value key=timeoutMs/, BOOT_MS);
    assert.match(line, /value=500 allowed="greater than heartbeatMs=900" using="heartbeatMs=1000 timeoutMs=3000"/);
    await child.waitForLine(/I tcp.server: state stopped->listening/);
  });

  it("does not run a role it cannot run when role is unknown", async () => {
    child = linklab(["run", "role=router", "id=x1", "beaconMs=0"]);
    await child.waitForLine(/E settings: bad config value key=role value=router allowed="server, client or both"/, BOOT_MS);
    await child.waitForLine(/W main: not running part=server reason="bad role"/);
    await child.waitForLine(/W main: not running part=client reason="bad role"/);
  });
});
