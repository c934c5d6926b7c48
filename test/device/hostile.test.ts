// The hardening issue's four attacks (test/hostile/attacks.ts) against the firmware built by mcconfig for lin, with
// the esp32's fixed XS heap, and run on mcsim: real XS and Moddable's own sockets, listening on every address
// (INADDR_ANY) of this machine, reached on 127.0.0.1 only. The same attacks run against the host runtime in test/hostile/attacks.test.ts; both must hold.
import { creationApp, esp32Creation } from "../../host-sim/moddable/xs-memory.ts";
import { ATTACK_CONFIG, attackSuite, type Target } from "../hostile/attacks.ts";
import { boot, freePort, image, requireSdk, stopBoards } from "./support.ts";

let port = 0;
let xsImage: string | undefined;

async function xsServer(): Promise<Target> {
  // One image for every attack (the port is compiled in), a fresh machine for each.
  if (!xsImage) {
    port = await freePort();
    // With the esp32's fixed XS heap (manifest.json platforms.esp32.creation), not lin's growing one: a burst must
    // fit what a board has.
    xsImage = await image({ appDir: creationApp(esp32Creation()), overrides: { ...ATTACK_CONFIG, port: String(port) } });
  }
  const board = await boot(xsImage);
  await board.waitForLine(/tcp\.server: state stopped->listening/, 20_000);
  return { port, log: () => board.lines, stop: () => stopBoards() };
}

const results: Record<string, unknown> = {};
attackSuite("device: the four attacks against the firmware on real XS (mcsim)", xsServer, results, (context) => requireSdk(context));
after(() => {
  if (Object.keys(results).length) process.stdout.write(`\n  real XS (lin): ${JSON.stringify(results)}\n`);
});
