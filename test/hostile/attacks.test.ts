// The hardening issue's four attacks against the firmware on the host runtime, run as a board would be: a
// `linklab run role=server` process on 127.0.0.1 (test/device/hostile.test.ts runs the same attacks against the
// image built by mcconfig, on real XS). The figures are printed at the end, for docs/reliability.md.
import { createServer } from "node:net";
import { Child, linklabBin, repoDir } from "../support/child.ts";
import { ATTACK_CONFIG, attackSuite, type Target } from "./attacks.ts";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function hostServer(): Promise<Target> {
  const port = await freePort();
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
