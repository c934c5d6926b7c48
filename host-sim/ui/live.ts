// `linklab lab --ui`: the glue between a lab run and the live page. The run's events go into a RunFeed (record.ts,
// the page's data seam) through the lab output's event hook, and the page's server (server.ts) sends them on. After
// the run the page stays up, with the whole run, until Ctrl-C.

import type { BoardRecord, LabOutput, LabResult } from "../lab/lab.ts";
import type { Scenario } from "../lab/scenario.ts";
import { headerOf, RunFeed } from "./record.ts";
import { serveUi, type UiServer } from "./server.ts";

export interface LiveUi {
  url: string;
  server: UiServer;
  feed: RunFeed;
  /** The lab's output with the page fed from it. */
  wrap(output: LabOutput): LabOutput;
  /** The run ended: the page shows it whole; resolves when the user stops the page (Ctrl-C) or `stop` is called. */
  finish(result: LabResult): Promise<void>;
  stop(): Promise<void>;
}

export async function startLive(scenario: Scenario, say: (text: string) => void): Promise<LiveUi> {
  const initial = scenario.boards.map((b) => ({ id: b.id, role: b.config.role ?? "", addresses: [] as string[] }));
  const feed = new RunFeed(headerOf(scenario, initial));
  const server = await serveUi(feed);
  server.hold(false);
  let shown = "";
  const sync = (boards: readonly BoardRecord[]): void => {
    const key = JSON.stringify(boards.map((b) => [b.id, b.role, b.addresses]));
    if (key !== shown) {
      shown = key;
      feed.setHeader(headerOf(scenario, boards));
    }
  };
  let stopped: (() => void) | undefined;
  const stop = async (): Promise<void> => {
    await server.close();
    stopped?.();
  };
  say(`linklab lab: the live page is at ${server.url} (open it in a browser; Ctrl-C stops)`);
  return {
    url: server.url,
    server,
    feed,
    wrap: (output) => ({
      ...output,
      event(event, boards) {
        sync(boards);
        feed.push(event);
        output.event?.(event, boards);
      },
    }),
    finish: async (result) => {
      sync(result.boards);
      feed.end();
      server.hold(true);
      say(`linklab lab: the run has ended; the page at ${server.url} keeps it until Ctrl-C`);
      await new Promise<void>((resolve) => {
        stopped = resolve;
        const onSignal = (): void => {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          void stop();
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
      });
    },
    stop,
  };
}
