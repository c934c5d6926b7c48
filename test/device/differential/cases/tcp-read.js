// embedded:io/socket/tcp: reading (test/runtime/tcp.test.ts, "reading").
import { connected, describe, text, thrown } from "peer";

export default async function (peer, say) {
	let { tcp, events } = await connected(peer);
	say(`read() with nothing buffered: ${describe(tcp.read())}`);
	await peer.call("send", "ping\n");
	say(`peer sent "ping\\n": onReadable(${await events.wait("readable")})`);
	say(`read(): ${describe(tcp.read())}`);

	await peer.call("send", "abcdef");
	await events.wait("readable", 2);
	say(`peer sent "abcdef": read(4) ${describe(tcp.read(4))}, then read() ${describe(tcp.read())}`);

	await peer.call("send", "HTTP/1.1 200");
	await events.wait("readable", 3);
	const view = new Uint8Array(8);
	const n = tcp.read(view);
	say(`read(Uint8Array(8)) of "HTTP/1.1 200": returns ${n}, fills ${JSON.stringify(text(view.buffer))}`);
	say(`read() the rest: ${describe(tcp.read())}`);

	await peer.call("send", "abc");
	await events.wait("readable", 4);
	say(`read(4) with 3 buffered: ${thrown(() => tcp.read(4), true)}`);
	say(`then read(): ${describe(tcp.read())}`);

	await peer.call("send", "A");
	await events.wait("readable", 5);
	tcp.format = "number";
	say(`format number, peer sent "A": read() ${describe(tcp.read())}`);
	tcp.close();
}
