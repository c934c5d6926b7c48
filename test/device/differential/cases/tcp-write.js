// embedded:io/socket/tcp: writing (test/runtime/tcp.test.ts, "writing").
import TCP from "embedded:io/socket/tcp";
import { bytes, connected, thrown } from "peer";

export default async function (peer, say) {
	const early = new TCP({ address: "127.0.0.1", port: await peer.call("closed-port") });
	say(`write before connected: ${thrown(() => early.write(Uint8Array.of(1)), true)}`);
	early.close();

	let { tcp, events, writable } = await connected(peer);
	say(`write more than writable: ${thrown(() => tcp.write(new ArrayBuffer(writable + 1)), true)}`);
	say(`write a string: ${thrown(() => tcp.write("text"))}`);
	const left = tcp.write(bytes("hello"));
	say(`write 5 bytes returns writable - 5: ${left === writable - 5}`);
	say(`peer got ${JSON.stringify(await peer.call("data", 5))}`);
	const [again] = await events.wait("writable", 2);
	say(`onWritable again once drained, with all ${again === writable ? "" : "but " + (writable - again) + " "}bytes writable`);
	tcp.close();

	({ tcp } = await connected(peer, { format: "number" }));
	tcp.write(0x4f);
	tcp.write(0x4b);
	say(`format number, write(0x4f), write(0x4b): peer got ${JSON.stringify(await peer.call("data", 2))}`);
	tcp.close();
}
