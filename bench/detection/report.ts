// The detection bench's tables and notes for the terminal (the figures themselves go to JSON as they are).
import { table } from "../support.ts";
import type { DetectionRow } from "./heartbeat.ts";
import type { KeepaliveRow } from "./keepalive.ts";
import type { SoakResult } from "./soak.ts";

export function heartbeatTable(rows: DetectionRow[], trials: number): string {
  return table(
    `dead-peer detection, application heartbeat: ms from the power cut (no FIN) to the verdict, ${trials} trials each`,
    ["who detects", "heartbeatMs", "timeoutMs", "n", "min", "p50", "p99", "max", "p99/timeout", "max/timeout", "missed", "early"],
    rows.map((r) => [
      r.direction === "server-detects-client" ? "server (silent client)" : "client (silent server)",
      r.heartbeatMs,
      r.timeoutMs,
      r.detectMs.n,
      r.detectMs.min,
      r.detectMs.p50,
      r.detectMs.p99,
      r.detectMs.max,
      r.ratioP99,
      r.ratioMax,
      r.missed,
      r.early,
    ]),
  );
}

export function keepaliveTable(keepalive: KeepaliveRow[]): string {
  return table(
    "kernel TCP keep-alive: s until the socket reports the peer dead; computed = idle + probes x interval after the last segment received",
    ["setting", "idle s", "interval s", "probes", "computed s", "n", "after link down p50", "max", "after last data byte p50", "max"],
    keepalive.map((k) => [
      k.setting,
      k.idleS,
      k.intervalS,
      k.probes,
      k.computedS,
      k.measured?.trials ?? "-",
      k.measured?.fromLinkDownS.p50 ?? "-",
      k.measured?.fromLinkDownS.max ?? "-",
      k.measured?.fromLastByteS.p50 ?? "-",
      k.measured?.fromLastByteS.max ?? "-",
    ]),
  );
}

/** Why a setting was not measured, and what a measured one showed. */
export function keepaliveNotes(keepalive: KeepaliveRow[]): string[] {
  const notes = keepalive.filter((k) => k.notMeasured).map((k) => `${k.setting}: ${k.notMeasured}`);
  for (const k of keepalive) {
    if (!k.measured) continue;
    notes.push(
      `${k.setting}: ${k.measured.fromLinkDownS.max} s at most after the link went down (computed bound ${k.computedS} s; the down command took ${k.measured.linkDownCommandMs} ms). ` +
        `After the last data byte it took ${k.measured.fromLastByteS.p50} s (p50), ${k.measured.fromLastByteS.max} s (max): the kernel counts from the last segment received, and a probe answered before the link went down starts the idle time again`,
    );
    for (const e of k.measured.errors) notes.push("keep-alive: " + e);
  }
  return notes;
}

export function soakTable(r: SoakResult): string {
  return table(
    `soak: ${r.durationS} s of lab time (boards as processes), latency ${r.latency}, ${r.udpLossPercent}% UDP loss; false verdicts: ${r.falseVerdicts}`,
    ["board", "config", "online", "handshakes", "lost", "offline", "online at end", "echo replies", "echo lost", "rtt p50 ms", "rtt max ms"],
    r.boards.map((b) => [b.id, b.config, b.online, b.handshakes, b.lost, b.offline, b.onlineAtEnd === undefined ? "-" : String(b.onlineAtEnd), b.echoReplies, b.echoLost, b.rttMs?.p50 ?? "-", b.rttMs?.max ?? "-"]),
  );
}
