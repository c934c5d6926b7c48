// Reconnect: how soon clients are back online (1) after their Wi-Fi link returns (from the link module's gotIP to the
// first connect attempt and to online), and (2) after their server returns (the server closed and started again on
// the same port: from listening to every client online), with 2, 8 and 16 clients. Firmware Server, Client and Link
// on the host runtime in this process, default timings from manifest.json (backoff 500 ms .. 30 s).
//
//   node --import ./host-sim/register.mjs bench/reconnect.ts [--quick] [--out DIR]
import { Link } from "linklab/link";
import type { Wifi } from "linklab/ports";
import type { Server } from "linklab/server";
import WiFi from "../host-sim/runtime/wifi.ts";
import Net from "../host-sim/runtime/net.ts";
import { board } from "../host-sim/runtime/board.ts";
import { installGlobals } from "../host-sim/runtime/globals.ts";
import { RoleHarness } from "../host-sim/harness/roles.ts";
import { isMain, pause, standalone, stats, table, type BenchOptions, type BenchResult, type Stats } from "./support.ts";

const wifi: Wifi = { connect: (options, callback) => new WiFi(options, callback), monitor: (callback) => new WiFi(undefined, callback) };

/** Firmware defaults (manifest.json config). */
const DEFAULTS = { heartbeatMs: 1000, timeoutMs: 3000, handshakeMs: 2000, backoffBaseMs: 500, backoffMaxMs: 30000, connectTimeoutMs: 3000 };

/** The ms prefix of a log line (the RoleHarness's clock). */
const at = (line: string): number => Number(line.trim().split(" ")[0]);

function freePort(lab: RoleHarness): number {
  const probe = lab.server({}, "tcp.probe");
  probe.start("127.0.0.1");
  const port = probe.port;
  probe.close();
  return port;
}

export type WifiRow = { clients: number; trials: number; gotIpToAttemptMs: Stats; gotIpToOnlineMs: Stats; allOnlineMs: Stats; withinTarget: number };

/**
 * Each client has its own Link watching the station (no ssid: the runtime's Wi-Fi events); the board's Wi-Fi drops
 * for 1 s and returns. The server is not on the link (it stands for another board; the drop still aborts its side
 * of the connections, as lwIP on the client would leave them for the server's heartbeat to find).
 */
export async function afterGotIp(clients: number, trials: number): Promise<WifiRow> {
  const lab = new RoleHarness("I");
  const toAttempt: number[] = [];
  const toOnline: number[] = [];
  const allOnline: number[] = [];
  let withinTarget = 0;
  try {
    const port = freePort(lab);
    const server = lab.server({ ...DEFAULTS, port, maxClients: clients + 4, logEvery: 0 }, "tcp.server");
    server.start("127.0.0.1");
    const tags: string[] = [];
    for (let i = 0; i < clients; i++) {
      const client = lab.client({ ...DEFAULTS, id: `c${i}`, port, logEvery: 0 }, `tcp.c${i}`);
      const link = new Link({ ssid: "", password: "" }, { wifi, getAddress: () => Net.get("IP") as string | undefined, timers: lab.timers, clock: lab.clock, log: lab.log.tag(`wifi.c${i}`), random: Math.random });
      lab.onClose(() => link.close());
      link.onChange((event) => (event.up ? client.linkUp(event.address) : client.linkDown(event.reason)));
      client.start();
      link.start();
      tags.push(`c${i}`);
    }
    for (const t of tags) await lab.waitFor(new RegExp(`tcp\\.${t}: state handshaking->online`), 10_000, 0);
    for (let trial = 0; trial < trials; trial++) {
      board.command({ type: "wifi", up: false });
      for (const t of tags) await lab.waitFor(new RegExp(`tcp\\.${t}: state \\w+->paused`), 5000);
      await pause(1000);
      const from = lab.lines.length;
      board.command({ type: "wifi", up: true });
      let last = 0;
      let first = Infinity;
      for (const t of tags) {
        const gotIp = at(await lab.waitFor(new RegExp(`wifi\\.${t}: got IP address`), 5000, from));
        const attempt = at(await lab.waitFor(new RegExp(`tcp\\.${t}: connecting \\(SYN sent\\)`), 5000, from));
        const online = at(await lab.waitFor(new RegExp(`tcp\\.${t}: state handshaking->online`), 10_000, from));
        toAttempt.push(attempt - gotIp);
        toOnline.push(online - gotIp);
        if (attempt - gotIp <= 100) withinTarget++;
        first = Math.min(first, gotIp);
        last = Math.max(last, online);
      }
      allOnline.push(last - first);
      await pause(300);
    }
    return { clients, trials, gotIpToAttemptMs: stats(toAttempt), gotIpToOnlineMs: stats(toOnline), allOnlineMs: stats(allOnline), withinTarget };
  } finally {
    board.command({ type: "wifi", up: true });
    lab.close();
  }
}

export type ServerRow = {
  clients: number;
  trials: number;
  downMs: number;
  /** From the new server listening to the last client online. */
  allOnlineMs: Stats;
  /** The largest backoff step (capMs) any client was in when the server came back, per trial. */
  pendingStepCapMs: Stats;
  /** All-online time minus that trial's largest pending delay (how long after its step the last client took). */
  overStepMs: Stats;
  trialsWithinOneStep: number;
  /** Per trial: [all online ms, largest pending cap ms]. */
  perTrial: [number, number][];
};

/** The server is closed (FIN to every client) and started again on the same port downMs later. */
export async function afterServerReturn(clients: number, trials: number, downMs: number): Promise<ServerRow> {
  const lab = new RoleHarness("I");
  const allOnline: number[] = [];
  const pendingCap: number[] = [];
  const overStep: number[] = [];
  let within = 0;
  try {
    const port = freePort(lab);
    const startServer = (n: number): Server => {
      const server = lab.server({ ...DEFAULTS, id: `s${n}`, port, maxClients: clients + 4, logEvery: 0 }, "tcp.server");
      server.start("127.0.0.1");
      return server;
    };
    let server = startServer(0);
    const tags: string[] = [];
    for (let i = 0; i < clients; i++) {
      const client = lab.client({ ...DEFAULTS, id: `c${i}`, port, logEvery: 0 }, `tcp.c${i}`);
      client.start();
      client.linkUp("127.0.0.1");
      tags.push(`c${i}`);
    }
    for (const t of tags) await lab.waitFor(new RegExp(`tcp\\.${t}: state handshaking->online`), 10_000, 0);
    for (let trial = 1; trial <= trials; trial++) {
      server.close();
      const downFrom = lab.lines.length;
      for (const t of tags) await lab.waitFor(new RegExp(`tcp\\.${t}: state online->lost`), 5000, downFrom);
      await pause(downMs);
      const from = lab.lines.length;
      server = startServer(trial);
      const listening = lab.clock();
      // The step each client is in now: its last "backoff delay chosen" before the restart.
      const caps: number[] = [];
      const delays: number[] = [];
      for (const t of tags) {
        const chosen = lab.lines.slice(downFrom, from).filter((l) => l.includes(`tcp.${t}: backoff delay chosen`));
        const line = chosen[chosen.length - 1] ?? "";
        caps.push(Number(/capMs=(\d+)/.exec(line)?.[1] ?? 0));
        delays.push(Number(/delayMs=(\d+)/.exec(line)?.[1] ?? 0));
      }
      let last = listening;
      for (const t of tags) last = Math.max(last, at(await lab.waitFor(new RegExp(`tcp\\.${t}: state handshaking->online`), 40_000, from)));
      const cap = Math.max(...caps);
      allOnline.push(last - listening);
      pendingCap.push(cap);
      overStep.push(last - listening - cap);
      if (last - listening <= cap) within++;
      await pause(200);
    }
    return {
      clients,
      trials,
      downMs,
      allOnlineMs: stats(allOnline),
      pendingStepCapMs: stats(pendingCap),
      overStepMs: stats(overStep),
      trialsWithinOneStep: within,
      perTrial: allOnline.map((ms, i) => [ms, pendingCap[i]]),
    };
  } finally {
    lab.close();
  }
}

export async function reconnect(options: BenchOptions): Promise<BenchResult> {
  installGlobals();
  const sizes = options.quick ? [2] : [2, 8, 16];
  const wifiTrials = options.quick ? 2 : 10;
  const serverTrials = options.quick ? 1 : 5;
  const downMs = options.quick ? 500 : 3000;
  const wifiRows: WifiRow[] = [];
  const serverRows: ServerRow[] = [];
  for (const n of sizes) {
    options.progress(`reconnect: ${n} clients, Wi-Fi drop x${wifiTrials}`);
    wifiRows.push(await afterGotIp(n, wifiTrials));
    options.progress(`reconnect: ${n} clients, server down ${downMs} ms x${serverTrials}`);
    serverRows.push(await afterServerReturn(n, serverTrials, downMs));
  }
  const tables = [
    table(
      `after Wi-Fi returns (link module gotIP): ms per client, ${wifiTrials} drops of 1 s; target: first attempt within 100 ms of gotIP`,
      ["clients", "samples", "attempt p50", "attempt p99", "attempt max", "online p50", "online p99", "online max", "all online p50", "all online max", "attempts <= 100 ms"],
      wifiRows.map((r) => [r.clients, r.gotIpToAttemptMs.n, r.gotIpToAttemptMs.p50, r.gotIpToAttemptMs.p99, r.gotIpToAttemptMs.max, r.gotIpToOnlineMs.p50, r.gotIpToOnlineMs.p99, r.gotIpToOnlineMs.max, r.allOnlineMs.p50, r.allOnlineMs.max, `${r.withinTarget}/${r.gotIpToAttemptMs.n}`]),
    ),
    table(
      `after the server returns (closed, ${downMs} ms down, listening again on the same port): ms from listening to every client online, ${serverTrials} trials; target: within one backoff step`,
      ["clients", "trials", "all online p50", "all online max", "pending step cap p50", "cap max", "all online - cap, max", "trials within one step"],
      serverRows.map((r) => [r.clients, r.trials, r.allOnlineMs.p50, r.allOnlineMs.max, r.pendingStepCapMs.p50, r.pendingStepCapMs.max, r.overStepMs.max, `${r.trialsWithinOneStep}/${r.trials}`]),
    ),
  ];
  const notes = [
    "backoff: full jitter in [500 ms, min(30 s, 500 ms x 2^(n+1))]; 'pending step cap' is the largest cap among the steps the clients were waiting out when the server came back",
  ];
  return { name: "reconnect", tables, notes, data: { defaults: DEFAULTS, downMs, wifi: wifiRows, server: serverRows } };
}

if (isMain(import.meta.url)) {
  await standalone("reconnect", reconnect);
  process.exit(0);
}
