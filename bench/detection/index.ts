// Dead-peer detection: how long after a peer loses power (silence: no FIN, no RST) the other side declares it gone.
//   heartbeat.ts     the application heartbeat, both ways: firmware roles on the host runtime against raw peers
//                    (silent-peers.ts) that go silent at a random moment, many trials at once
//   keepalive.ts     kernel TCP keep-alive: computed, and the ESP-IDF example's settings measured for real between
//                    two network namespaces (namespaces.ts) by a Python observer (observer.py); root only, about
//                    40 s; skipped with a reason otherwise, and always in --quick
//   soak.ts          optional (--soak): a 10-minute lab run with 200 ms ± 200 ms latency and 1% UDP loss, counting
//                    false offline verdicts
//   report.ts        the tables and notes
//
//   node --import ./host-sim/register.mjs bench/detection/index.ts [--quick] [--soak] [--out DIR]
//   node --import ./host-sim/register.mjs bench/detection/index.ts --soak-only [--quick]   -> detection-soak.json
import { installGlobals } from "../../host-sim/runtime/globals.ts";
import { isMain, standalone, type BenchOptions, type BenchResult } from "../support.ts";
import { PAIRS, clientDetects, serverDetects, type DetectionRow } from "./heartbeat.ts";
import { ESP_IDF_EXAMPLE, LWIP_DEFAULTS, computed, measureKeepalive, type KeepaliveRow } from "./keepalive.ts";
import { heartbeatTable, keepaliveNotes, keepaliveTable, soakTable } from "./report.ts";
import { soak, type SoakResult } from "./soak.ts";

export async function detection(options: BenchOptions): Promise<BenchResult> {
  installGlobals();
  const pairs = options.quick ? [PAIRS[2]] : PAIRS;
  const trials = options.quick ? 5 : 50;
  const rows: DetectionRow[] = [];
  for (const pair of pairs) {
    options.progress(`detection: server detects ${trials} silent clients, heartbeatMs=${pair.heartbeatMs} timeoutMs=${pair.timeoutMs}`);
    rows.push(await serverDetects(pair, trials));
    options.progress(`detection: ${trials} clients detect a silent server, heartbeatMs=${pair.heartbeatMs} timeoutMs=${pair.timeoutMs}`);
    rows.push(await clientDetects(pair, trials));
  }

  const keepalive: KeepaliveRow[] = [computed(LWIP_DEFAULTS, "2 h 11 min 15 s: computed only")];
  if (options.quick) keepalive.push(computed(ESP_IDF_EXAMPLE, "--quick: not measured (takes about 40 s)"));
  else {
    options.progress("detection: kernel keep-alive between two network namespaces (a veth set down)");
    const measured = await measureKeepalive(10, options.progress).catch((error: unknown) => `failed: ${(error as Error).message.split("\n")[0]}`);
    if (typeof measured === "string")
      keepalive.push(computed(ESP_IDF_EXAMPLE, measured + "; on loopback a frozen process's kernel still ACKs the probes, so loopback cannot show it"));
    else keepalive.push(...measured);
  }

  let soakResult: SoakResult | undefined;
  if (options.soak) {
    options.progress("detection: soak, 10 minutes (lab boards as processes)");
    soakResult = await soak(options.quick ? 30 : 600, options.progress);
  }

  const tables = [heartbeatTable(rows, trials), keepaliveTable(keepalive)];
  const notes = keepaliveNotes(keepalive);
  if (soakResult) tables.push(soakTable(soakResult));
  else notes.push("soak not run (opt in with --soak: 10 minutes)");
  return { name: "detection", tables, notes, data: { trials, rows, keepalive, soak: soakResult ?? null } };
}

if (isMain(import.meta.url)) {
  if (process.argv.includes("--soak-only")) {
    // Only the soak, into bench/results/detection-soak.json (the full detection bench takes its own time).
    await standalone("detection-soak", async (options) => {
      const result = await soak(options.quick ? 30 : 600, options.progress);
      return {
        name: "detection-soak",
        tables: [soakTable(result)],
        notes: [`false offline/lost verdicts: ${result.falseVerdicts}`],
        data: { soak: result },
      };
    }, "detection/index");
  } else {
    await standalone("detection", detection, "detection/index");
  }
  process.exit(0);
}
