// The kernel's view of a run, read from the per-board captures with tshark: the SYNs each board's kernel sent (and
// sent again: retransmissions, with their times), the RSTs that reached each board, and keep-alive probes. Each
// board's pcap is its router port, so a packet is counted once: a SYN or probe in the file of the board that sent
// it, an RST in the file of the board it reached (an RST the router injects is in no other file).
import { execFile } from "node:child_process";

export interface KernelEvent {
  /** Lab time, ms. */
  t: number;
  board: string;
  /** syn: a first SYN; syn-retry: the kernel sent the same SYN again; rst-in: an RST reached the board; keepalive. */
  name: "syn" | "syn-retry" | "rst-in" | "keepalive";
  /** The other board (or its address when no board had it). */
  peer: string;
  /** "127.0.0.3:51234>127.0.0.2:8420" */
  flow: string;
}

const FIELDS = ["frame.time_epoch", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.reset", "tcp.analysis.keep_alive"];

function tshark(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "tshark",
      ["-n", "-r", file, "-Y", "tcp.flags.syn == 1 || tcp.flags.reset == 1 || tcp.analysis.keep_alive", "-T", "fields", "-E", "separator=,", ...FIELDS.flatMap((f) => ["-e", f])],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => (error ? reject(new Error(`tshark ${file}: ${stderr.trim().split("\n").pop() || error.message}`)) : resolve(stdout)),
    );
  });
}

const truthy = (v: string | undefined): boolean => v === "1" || v === "True" || v === "true";

/**
 * Read each board's capture. `addresses`: every address each board had; `epochOfLabZero`: Date.now() at lab time 0.
 */
export async function readKernelView(files: Map<string, string>, addresses: Map<string, string[]>, epochOfLabZero: number): Promise<KernelEvent[]> {
  const owner = new Map<string, string>();
  for (const [id, list] of addresses) for (const a of list) owner.set(a, id);
  const events: KernelEvent[] = [];
  for (const [board, file] of files) {
    const mine = new Set(addresses.get(board) ?? []);
    const seen = new Set<string>();
    for (const line of (await tshark(file)).split("\n")) {
      const [epoch, src, dst, sport, dport, syn, ack, rst, keepalive] = line.split(",");
      if (!epoch || !src) continue;
      const t = Number(epoch) * 1000 - epochOfLabZero;
      const flow = `${src}:${sport}>${dst}:${dport}`;
      if (mine.has(src) && truthy(syn) && !truthy(ack)) {
        events.push({ t, board, name: seen.has(flow) ? "syn-retry" : "syn", peer: owner.get(dst) ?? dst, flow });
        seen.add(flow);
      } else if (mine.has(dst) && truthy(rst)) events.push({ t, board, name: "rst-in", peer: owner.get(src) ?? src, flow });
      else if (mine.has(src) && keepalive) events.push({ t, board, name: "keepalive", peer: owner.get(dst) ?? dst, flow });
    }
  }
  return events.sort((a, b) => a.t - b.t);
}

const s = (ms: number): string => (ms < 0 ? "boot" : (ms / 1000).toFixed(1));

/** The kernel's view in a few lines: SYNs sent again (with their times and gaps), RSTs received, keep-alive probes. */
export function describeKernelView(events: KernelEvent[]): string[] {
  const lines: string[] = [];
  const byFlow = new Map<string, KernelEvent[]>();
  for (const e of events.filter((e) => e.name === "syn" || e.name === "syn-retry")) {
    const list = byFlow.get(e.flow) ?? [];
    list.push(e);
    byFlow.set(e.flow, list);
  }
  for (const list of byFlow.values()) {
    if (list.length < 2) continue;
    const times = list.map((e) => e.t);
    const gaps = times.slice(1).map((t, i) => s(t - times[i]));
    lines.push(`${list[0].board} -> ${list[0].peer}: SYN sent ${list.length} times, at ${times.map(s).join(" ")} s (gaps ${gaps.join(" ")} s: the kernel's retransmission backoff)`);
  }
  const firstSyns = events.filter((e) => e.name === "syn").length;
  const retries = events.filter((e) => e.name === "syn-retry").length;
  lines.unshift(`SYNs: ${firstSyns} connection attempts, ${retries} retransmitted SYNs`);
  const resets = new Map<string, KernelEvent[]>();
  for (const e of events.filter((e) => e.name === "rst-in")) {
    const key = `${e.board} <- ${e.peer}`;
    resets.set(key, [...(resets.get(key) ?? []), e]);
  }
  for (const [key, list] of resets) lines.push(`RST ${key}: ${list.length}, at ${list.slice(0, 6).map((e) => s(e.t)).join(" ")}${list.length > 6 ? " ..." : ""} s`);
  if (resets.size === 0) lines.push("RSTs: none");
  const probes = events.filter((e) => e.name === "keepalive");
  const byBoard = new Map<string, number>();
  for (const e of probes) byBoard.set(e.board, (byBoard.get(e.board) ?? 0) + 1);
  lines.push(probes.length ? `keep-alive probes: ${[...byBoard].map(([b, n]) => `${b} ${n}`).join(", ")}` : "keep-alive probes: none (no socket asked the kernel for them: Moddable's TCP ignores the keepalive option)");
  return lines;
}
