// Soak: no false offline verdict in 10 minutes of 200 ms ± 200 ms latency and 1% UDP loss. A lab run (boards as
// processes: a server and three clients finding it by beacon); every lost or offline verdict in it is a false one.
import { runLab } from "../../host-sim/lab/lab.ts";
import { EV, isEvent } from "../../modules/events.ts";
import { parseScenario } from "../../host-sim/lab/scenario.ts";
import { stats, type Stats } from "../support.ts";

export type SoakResult = {
  durationS: number;
  latency: string;
  udpLossPercent: number;
  boards: { id: string; config: string; online: number; handshakes: number; lost: number; offline: number; onlineAtEnd?: boolean; echoReplies: number; echoLost: number; rttMs?: Stats }[];
  falseVerdicts: number;
};

export async function soak(durationS: number, progress: (line: string) => void): Promise<SoakResult> {
  const text = [
    "title soak: no false offline verdict under latency jitter and UDP loss",
    `duration ${durationS}s`,
    "board server role=server beaconMs=1000",
    "board c1 role=client server=auto echoMs=1000",
    "board c2 role=client server=auto echoMs=1000",
    "board c3 role=client server=auto echoMs=0",
    "at 0s latency 200 200",
    "at 0s udp-loss 1",
  ].join("\n");
  const scenario = parseScenario(text, "bench/detection/soak.ts");
  let lastReport = 0;
  const result = await runLab(scenario, {
    seed: 7,
    readyTimeoutMs: 120_000,
    output: {
      tick(t) {
        if (t - lastReport >= 60_000) {
          lastReport = t;
          progress(`soak: ${Math.round(t / 1000)} s of ${durationS} s`);
        }
      },
    },
  });
  const boards = result.boards.map((b) => {
    const mine = result.events.filter((e) => e.board === b.id);
    const lines = mine.filter((e) => e.name === "line" && e.line).map((e) => e.line!);
    const rtts = lines.filter((l) => isEvent(l, EV.client.echoReply) && l.fields.rttMs).map((l) => Number(l.fields.rttMs));
    const states = mine.filter((e) => e.name === "state");
    return {
      id: b.id,
      config: Object.entries(b.config).map(([k, v]) => `${k}=${v}`).join(" "),
      online: mine.filter((e) => e.name === "online").length,
      handshakes: lines.filter((l) => isEvent(l, EV.server.handshakeDone)).length,
      lost: mine.filter((e) => e.name === "lost").length,
      offline: mine.filter((e) => e.name === "offline").length,
      onlineAtEnd: b.role === "client" ? states[states.length - 1]?.args[0] === "online" : undefined,
      echoReplies: rtts.length,
      echoLost: lines.filter((l) => [EV.client.echoGap, EV.client.echoLostWithConnection, EV.client.echoOverdue].some((e) => isEvent(l, e))).length,
      rttMs: rtts.length ? stats(rtts) : undefined,
    };
  });
  // Nothing fails in this run: every lost or offline verdict is a false one.
  const falseVerdicts = boards.reduce((n, b) => n + b.lost + b.offline, 0);
  return { durationS, latency: "200 ms ± 200 ms one way (0-400 ms), seeded", udpLossPercent: 1, boards, falseVerdicts };
}
