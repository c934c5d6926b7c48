// The Wi-Fi link on the host runtime: when the station loses its link the roles drop their sockets, and when it
// comes back the client connects at once instead of waiting out a backoff.
import { strict as assert } from "node:assert";
import { Link } from "linklab/link";
import type { Wifi } from "linklab/ports";
import WiFi from "../../host-sim/runtime/wifi.ts";
import Net from "../../host-sim/runtime/net.ts";
import { board } from "../../host-sim/runtime/board.ts";
import { RoleHarness } from "../../host-sim/harness/roles.ts";

const wifi: Wifi = {
  connect: (options, callback) => new WiFi(options, callback),
  monitor: (callback) => new WiFi(undefined, callback),
};

describe("the Wi-Fi link on the simulator", () => {
  let lab: RoleHarness;
  beforeEach(() => {
    lab = new RoleHarness();
  });
  afterEach(() => {
    board.command({ type: "wifi", up: true });
    lab.close();
  });

  it("pauses the client when Wi-Fi drops and has it online again at once when Wi-Fi returns", async () => {
    const link = new Link({ ssid: "", password: "" }, { wifi, getAddress: () => Net.get("IP") as string | undefined, timers: lab.timers, clock: lab.clock, log: lab.log.tag("wifi"), random: Math.random });
    lab.onClose(() => link.close());
    const server = lab.server({}, "tcp.s");
    server.start("127.0.0.1"); // learn an ephemeral port, then hand the server to the link
    const port = server.port;
    server.stop("setup");
    const s = lab.server({ port }, "tcp.s");
    const c = lab.client({ port, backoffBaseMs: 5000, backoffMaxMs: 10000 }, "tcp.c");
    link.onChange((event) => (event.up ? s.start(event.address) : s.stop(event.reason)));
    link.onChange((event) => (event.up ? c.linkUp(event.address) : c.linkDown(event.reason)));
    c.start();
    link.start();
    await lab.waitFor(/tcp\.c: state handshaking->online/, 2000, 0);
    board.command({ type: "wifi", up: false });
    await lab.waitFor(/W wifi: Wi-Fi disconnected/, 1000, 0);
    await lab.waitFor(/tcp\.c: state \w+->paused reason=wifi-disconnect/, 1000, 0);
    assert.equal(s.state, "stopped");
    const from = lab.lines.length;
    const upMs = lab.clock();
    board.command({ type: "wifi", up: true });
    await lab.waitFor(/tcp\.c: link up, retrying at once/, 1000, from);
    const online = await lab.waitFor(/tcp\.c: state handshaking->online/, 1000, from);
    const onlineMs = Number(online.trim().split(" ")[0]);
    assert.ok(onlineMs - upMs < 1000, `online ${onlineMs - upMs} ms after Wi-Fi returned; the backoff floor was 5000 ms`);
  });
});
