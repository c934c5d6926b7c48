// embedded:io/socket/udp (test/runtime/udp.test.ts), with a node:dgram peer on 127.0.0.1.
import UDP from "embedded:io/socket/udp";
import { Events, bytes, describe, thrown } from "peer";

export default async function (peer, say) {
	const peerPort = await peer.call("udp-peer");
	const events = new Events();
	const udp = new UDP({ onReadable: events.on("readable") });
	say(`read() with no packet waiting: ${describe(udp.read())}`);
	udp.write(bytes("probe"), "127.0.0.1", peerPort);
	const [probe] = await peer.call("datagrams", 1);
	say(`the peer got ${JSON.stringify(probe.text)} from ${probe.address}`);
	await peer.call("udp-send", probe.port, "hello");
	say(`the peer sent "hello": onReadable(${await events.wait("readable")})`);
	const packet = udp.read();
	say(`read(): ${describe(packet)}, address ${packet.address}, port is the peer's: ${packet.port === peerPort}`);

	say(`write to "board-3": ${thrown(() => udp.write(new Uint8Array(1), "board-3", 1234))}`);
	say(`write a string: ${thrown(() => udp.write("text", "127.0.0.1", 1234))}`);
	say(`write to port Symbol: ${thrown(() => udp.write(new Uint8Array(1), "127.0.0.1", Symbol()))}`);
	say(`format "number": ${thrown(() => new UDP({ format: "number" }))}`);

	udp.write(bytes("last"), "127.0.0.1", peerPort);
	udp.close();
	const got = await peer.call("datagrams", 2);
	say(`written just before close(): the peer got ${JSON.stringify(got[1]?.text)}`);
	say(`close() twice: ${thrown(() => udp.close())}`);
	say(`after close(): read ${thrown(() => udp.read())}, write ${thrown(() => udp.write(new Uint8Array(1), "127.0.0.1", 9))}`);
}
