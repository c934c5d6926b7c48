// Ad-hoc figure, not a test: time from a server power cut (gates held: no FIN, no RST) to the client's "link lost"
// verdict, over N trials on loopback. Usage: node --import ./host-sim/register.mjs test/sim/measure-detection.ts HB TO N
import { gates } from "../../host-sim/runtime/gate.ts";
import { RoleHarness } from "../../host-sim/harness/roles.ts";
const [hb, to, trials] = process.argv.slice(2).map(Number);
const out: number[] = [];
for (let t = 0; t < trials; t++) {
  const lab = new RoleHarness("I");
  const server = lab.server({ heartbeatMs: hb, timeoutMs: to });
  server.start("127.0.0.1");
  const c = lab.client({ port: server.port, heartbeatMs: hb, timeoutMs: to });
  c.start(); c.linkUp("127.0.0.1");
  await lab.waitFor(/state handshaking->online/, 5000, 0);
  await new Promise((r) => setTimeout(r, Math.random() * hb * 2));
  for (const g of gates) if (g.socket.localPort === server.port) g.hold("power-off");
  const off = lab.clock();
  const line = await lab.waitFor(/server silent, link lost/, to * 3, 0);
  out.push(Number(line.trim().split(" ")[0]) - off);
  lab.close();
}
out.sort((a, b) => a - b);
console.log(`hb=${hb} to=${to} n=${out.length} min=${out[0]} p50=${out[Math.floor(out.length / 2)]} max=${out.at(-1)} max/timeout=${(out.at(-1)! / to).toFixed(3)}`);
process.exit(0);
