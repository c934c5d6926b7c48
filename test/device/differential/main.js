// Runs one case of the differential suite (cases/<name>.js) on either runtime: the same app is built by mcconfig
// for mcsim and run by `linklab run` on the host simulator. The case to run comes from the peer service (config
// `control`, host:port on loopback), so one image serves every case and each case gets a fresh machine. The last
// line is `diff <case>: end`, or `diff <case>: stopped: <why>` when a wait ran out.
import config from "mc/config";
import { Peer, say } from "peer";

const peer = Peer.open(config.control);
const name = await peer.call("case");
const run = (await import("cases/" + name)).default;
try {
	await run(peer, (text) => say(name, text));
	say(name, "end");
} catch (error) {
	say(name, "stopped: " + (error?.message ?? error));
}
