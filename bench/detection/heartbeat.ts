// Dead-peer detection by the application heartbeat: the firmware Server (or Client) on the host runtime against raw
// node:net peers (silent-peers.ts) that talk the protocol and then go silent at a random moment, many trials at
// once; the figure is the time from the power cut to the verdict in the log.
import { RoleHarness } from "../../host-sim/harness/roles.ts";
import { eventPattern } from "../../host-sim/lab/events.ts";
import { EV } from "../../modules/events.ts";
import { deadline, pause, round, stats, type Stats } from "../support.ts";
import { SilentClient, SilentServer } from "./silent-peers.ts";

export type Pair = { heartbeatMs: number; timeoutMs: number };
export const PAIRS: Pair[] = [
  { heartbeatMs: 1000, timeoutMs: 3000 },
  { heartbeatMs: 500, timeoutMs: 1500 },
  { heartbeatMs: 200, timeoutMs: 600 },
];

export type DetectionRow = Pair & {
  direction: "server-detects-client" | "client-detects-server";
  /** ms from the power cut to the verdict. */
  detectMs: Stats;
  ratioP99: number;
  ratioMax: number;
  /** Verdicts that never came within the deadline (3 x timeoutMs + 2 s). */
  missed: number;
  /** Verdicts before the power cut (false offline while the peer was alive). */
  early: number;
};

/** The firmware Server detects silent raw clients: `trials` peers at once, each cut at its own random moment. */
export async function serverDetects(pair: Pair, trials: number): Promise<DetectionRow> {
  const lab = new RoleHarness("W");
  const peers: SilentClient[] = [];
  try {
    const { heartbeatMs, timeoutMs } = pair;
    const server = lab.server({ id: "bench", heartbeatMs, timeoutMs, handshakeMs: 5000, maxClients: trials + 8, logEvery: 0 });
    server.start("127.0.0.1");
    const detections: number[] = [];
    let missed = 0;
    let early = 0;
    await Promise.all(
      Array.from({ length: trials }, async (_, i) => {
        // Staggered connects so the handshakes and the peers' heartbeat phases spread out.
        await pause((i * heartbeatMs) / trials);
        let online!: () => void;
        const welcomed = new Promise<true>((r) => (online = () => r(true)));
        const peer = new SilentClient(server.port, `p${i}`, heartbeatMs, online);
        peers.push(peer);
        if ((await deadline(welcomed, 10_000)) === undefined) {
          missed++;
          return;
        }
        // Alive for 1.5 heartbeats and then a random part of two more, then the power cut.
        await pause(heartbeatMs * 1.5 + Math.random() * 2 * heartbeatMs);
        const pattern = eventPattern(EV.server.peerSilent, `.*peer=127\\.0\\.0\\.1:${peer.localPort}`);
        if (lab.count(pattern) > 0) {
          early++;
          return;
        }
        const from = lab.lines.length;
        peer.powerOff();
        const offMs = performance.now();
        const verdict = await lab.waitFor(pattern, timeoutMs * 3 + 2000, from).then(
          () => performance.now(),
          () => undefined,
        );
        if (verdict === undefined) missed++;
        else detections.push(verdict - offMs);
      }),
    );
    return row("server-detects-client", pair, detections, missed, early);
  } finally {
    for (const p of peers) p.destroy();
    lab.close();
  }
}

/** Firmware Clients detect a silent raw server: `trials` clients at once, each connection cut at a random moment. */
export async function clientDetects(pair: Pair, trials: number): Promise<DetectionRow> {
  const lab = new RoleHarness("I");
  const raw = new SilentServer(pair);
  try {
    const { heartbeatMs, timeoutMs } = pair;
    const port = await raw.listen();
    const detections: number[] = [];
    let missed = 0;
    let early = 0;
    await Promise.all(
      Array.from({ length: trials }, async (_, i) => {
        await pause((i * heartbeatMs) / trials);
        const id = `c${i}`;
        const tag = `tcp.${id}`;
        const client = lab.client(
          { id, port, heartbeatMs, timeoutMs, handshakeMs: 5000, connectTimeoutMs: 5000, backoffBaseMs: 60_000, backoffMaxMs: 60_000, logEvery: 0 },
          tag,
        );
        client.start();
        client.linkUp("127.0.0.1");
        try {
          await lab.waitFor(new RegExp(`${tag}: state handshaking->online`), 10_000, 0);
        } catch {
          missed++;
          client.close();
          return;
        }
        await pause(heartbeatMs * 1.5 + Math.random() * 2 * heartbeatMs);
        // Each client here logs under its own tag: the catalogue's message under that tag.
        const lost = eventPattern({ ...EV.client.serverSilent, tag });
        if (lab.count(lost) > 0) {
          early++;
          client.close();
          return;
        }
        const from = lab.lines.length;
        raw.powerOff(id);
        const offMs = performance.now();
        const verdict = await lab.waitFor(lost, timeoutMs * 3 + 2000, from).then(
          () => performance.now(),
          () => undefined,
        );
        client.close();
        if (verdict === undefined) missed++;
        else detections.push(verdict - offMs);
      }),
    );
    return row("client-detects-server", pair, detections, missed, early);
  } finally {
    raw.close();
    lab.close();
  }
}

function row(direction: DetectionRow["direction"], pair: Pair, detections: number[], missed: number, early: number): DetectionRow {
  const s = stats(detections);
  return { direction, ...pair, detectMs: s, ratioP99: round(s.p99 / pair.timeoutMs, 3), ratioMax: round(s.max / pair.timeoutMs, 3), missed, early };
}
