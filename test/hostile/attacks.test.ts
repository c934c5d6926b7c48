// The hardening issue's four attacks against the firmware on the host runtime, run as a board would be: a
// `linklab run role=server` process on 127.0.0.1 (test/device/hostile.test.ts runs the same attacks against the
// image built by mcconfig, on real XS). The figures are printed at the end, for docs/reliability.md.
import { Child, linklabBin, repoDir } from "../support/child.ts";
import { freeTcpPort } from "../support/ports.ts";
import { ATTACK_CONFIG, attackSuite, type Target } from "./attacks.ts";

async function hostServer(): Promise<Target> {
  const port = await freeTcpPort();
  const words = Object.entries({ ...ATTACK_CONFIG, port: String(port) }).map(([k, v]) => `${k}=${v}`);
  const child = new Child([linklabBin, "run", repoDir, ...words], { env: { LINKLAB_BOARD_ADDRESS: "127.0.0.1" } });
  await child.waitForLine(/tcp\.server: state stopped->listening/, 20_000);
  return {
    port,
    log: () => [...child.stdout, ...child.stderr],
    async stop() {
      child.process.kill("SIGKILL");
      await child.exited;
    },
  };
}

const results: Record<string, unknown> = {};
attackSuite("hostile: the four attacks against a host-runtime server process", hostServer, results);
after(() => {
  if (Object.keys(results).length) process.stdout.write(`\n  host runtime: ${JSON.stringify(results)}\n`);
});
