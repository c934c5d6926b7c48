// embedded:io/socket/tcp: connecting (test/runtime/tcp.test.ts, "connecting").
import TCP from "embedded:io/socket/tcp";
import { Events, thrown } from "peer";

export default async function (peer, say) {
	const port = await peer.call("tcp-server");
	const events = new Events();
	const target = { role: "client" };
	const tcp = new TCP({ address: "127.0.0.1", port, target, onReadable: events.on("readable"), onWritable: events.on("writable"), onError: events.on("error") });
	const [writable] = await events.wait("writable");
	say(`connected: first callback ${events.list[0].name} with ${writable} bytes writable`);
	say(`remoteAddress ${tcp.remoteAddress}, remotePort is the peer's port: ${tcp.remotePort === port}`);
	say(`target kept: ${tcp.target === target}`);
	say(`peer accepted: ${await peer.call("accepted")}`);
	tcp.close();

	const refused = new Events();
	new TCP({ address: "127.0.0.1", port: await peer.call("closed-port"), onReadable: refused.on("readable"), onWritable: refused.on("writable"), onError: refused.on("error") });
	const args = await refused.wait("error");
	say(`refused: callbacks ${refused.names()}, onError arguments ${args.length}`);

	say(`no address: ${thrown(() => new TCP({ port: 80 }))}`);
	say(`host name instead of address: ${thrown(() => new TCP({ host: "localhost", port: 80 }))}`);
	say(`port 65536: ${thrown(() => new TCP({ address: "127.0.0.1", port: 65536 }))}`);
	say(`port -1: ${thrown(() => new TCP({ address: "127.0.0.1", port: -1 }))}`);
	say(`port Symbol: ${thrown(() => new TCP({ address: "127.0.0.1", port: Symbol() }))}`);
	say(`format "text": ${thrown(() => new TCP({ address: "127.0.0.1", port: 9, format: "text" }))}`);

	const kept = new Events();
	const keepalive = new TCP({ address: "127.0.0.1", port, keepalive: { enable: true, idle: 5000, interval: 1000, count: 3 }, onWritable: kept.on("writable") });
	await kept.wait("writable");
	await peer.call("accepted", 2);
	say(`keepalive {enable, idle 5000}: ${await peer.call("keepalive")}`);
	keepalive.close();
}
