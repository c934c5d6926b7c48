// Kernel TCP keep-alive: how long after the peer vanishes the kernel reports the socket dead. Computed for lwIP's
// defaults; the ESP-IDF example's settings also measured for real between two network namespaces (namespaces.ts)
// by the Python observer (observer.py, which sets them on each socket as ESP-IDF's own sockets would).
//
// The simulator's own TCP is not measured: Moddable SDK 8.2.3 ignores the ECMA-419 keepalive option (neither
// modules/io/socket/lwip/tcp.c nor lin/tcp.c reads it), so the host runtime ignores it too and never probes.
import { fileURLToPath } from "node:url";
import { deadline, pause, stats, type Stats } from "../support.ts";
import { ADDRESS_A, ADDRESS_B, withVethPair } from "./namespaces.ts";

export type KeepaliveMeasured = { trials: number; fromLinkDownS: Stats; fromLastByteS: Stats; linkDownCommandMs: number; errors: string[] };

export type KeepaliveSetting = { setting: string; idleS: number; intervalS: number; probes: number };

export type KeepaliveRow = KeepaliveSetting & {
  /** idle + probes x interval: how long after the last byte received a silent peer is declared dead. */
  computedS: number;
  measured?: KeepaliveMeasured;
  notMeasured?: string;
};

export const LWIP_DEFAULTS: KeepaliveSetting = { setting: "lwIP defaults (TCP_KEEPIDLE/INTVL/CNT_DEFAULT)", idleS: 7200, intervalS: 75, probes: 9 };
export const ESP_IDF_EXAMPLE: KeepaliveSetting = { setting: "ESP-IDF tcp_server example (KEEPALIVE_IDLE/INTERVAL/COUNT)", idleS: 5, intervalS: 5, probes: 3 };

/** A row with its computed bound (idle + probes x interval), not measured. */
export function computed(setting: KeepaliveSetting, notMeasured?: string): KeepaliveRow {
  return { ...setting, computedS: setting.idleS + setting.probes * setting.intervalS, ...(notMeasured === undefined ? {} : { notMeasured }) };
}

const observerPy = fileURLToPath(new URL("./observer.py", import.meta.url));
const PEER_PORT = 8420;
/** The peer in B: echo every byte back. */
const echoPeer = `require("net").createServer(s=>{s.on("error",()=>{});s.pipe(s)}).listen(${PEER_PORT},${JSON.stringify(ADDRESS_B)},()=>console.log("listening"))`;

type Observer = { row: KeepaliveRow; lastByte: Map<number, number>; errorAt: Map<number, number>; problems: string[]; ready: Promise<true | undefined>; done: Promise<void> };

/**
 * Kernel keep-alive measured for real: the observer in namespace A, a plain echo peer in namespace B. After traffic
 * at random moments, B's end of the veth is set down: B's kernel answers nothing any more, as with a board that
 * lost power. Returns a reason instead when it cannot run (not root, a child that does not start).
 */
export async function measureKeepalive(trials: number, progress: (line: string) => void): Promise<KeepaliveRow[] | string> {
  return withVethPair(async (pair) => {
    let peerReady!: () => void;
    const peerUp = new Promise<true>((r) => (peerReady = () => r(true)));
    pair.run(pair.b, [process.execPath, "-e", echoPeer], (line) => line === "listening" && peerReady());
    if ((await deadline(peerUp, 20_000)) === undefined) return "the peer in the namespace did not start";

    const observe = (row: KeepaliveRow, command: string[]): Observer => {
      const o = { row, lastByte: new Map<number, number>(), errorAt: new Map<number, number>(), problems: [] as string[] } as Observer;
      let ready!: () => void;
      let done!: () => void;
      o.ready = deadline(new Promise<true>((r) => (ready = () => r(true))), 60_000);
      o.done = new Promise<void>((r) => (done = r));
      pair.run(pair.a, command, (line) => {
        type ObserverLine = { ready?: boolean; conn?: number; byteAt?: number; errorAt?: number; problem?: string };
        let m: ObserverLine;
        try {
          m = JSON.parse(line) as ObserverLine;
        } catch {
          return;
        }
        if (m.ready) ready();
        if (m.problem) o.problems.push(m.problem);
        if (m.conn !== undefined && m.byteAt !== undefined) o.lastByte.set(m.conn, m.byteAt);
        if (m.conn !== undefined && m.errorAt !== undefined) {
          o.errorAt.set(m.conn, m.errorAt);
          if (o.errorAt.size === trials) done();
        }
      });
      return o;
    };
    const espIdf = computed(ESP_IDF_EXAMPLE);
    const settings = [espIdf.idleS, espIdf.intervalS, espIdf.probes].map(String);
    const observers = [observe(espIdf, ["python3", observerPy, String(trials), ...settings, ADDRESS_A, ADDRESS_B, String(PEER_PORT)])];
    for (const o of observers) if ((await o.ready) === undefined) return `an observer in the namespace did not start (${o.row.setting}) ${o.problems.join("; ")}`;
    progress(`keep-alive: ${trials} + ${trials} connections up, traffic for 8 s, then the peer's link goes down`);
    await pause(8_000);
    const { startedAt: before, tookMs: linkDownCommandMs } = pair.cutB();
    await deadline(Promise.all(observers.map((o) => o.done)), 60_000);
    for (const o of observers) {
      // The link went down somewhere within the command; the start of the command is the reference.
      const fromDown = [...o.errorAt.values()].map((t) => (t - before) / 1000);
      const fromLast = [...o.errorAt.entries()].map(([c, t]) => (t - (o.lastByte.get(c) ?? before)) / 1000);
      if (o.errorAt.size < trials) o.problems.push(`${trials - o.errorAt.size} connections still open 60 s after the link went down`);
      o.row.measured = { trials: o.errorAt.size, fromLinkDownS: stats(fromDown), fromLastByteS: stats(fromLast), linkDownCommandMs, errors: o.problems };
    }
    return [espIdf];
  });
}
