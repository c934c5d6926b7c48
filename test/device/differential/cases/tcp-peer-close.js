// embedded:io/socket/tcp: the peer closing (test/runtime/tcp.test.ts, "the peer closing").
import { connected, describe, quiet, thrown } from "peer";

export default async function (peer, say) {
	let { tcp, events } = await connected(peer);
	await peer.call("send", "last words");
	await events.wait("readable");
	await peer.call("end");
	await quiet(300);
	say(`peer FIN with "last words" unread: onError within 300 ms: ${events.count("error")}`);
	say(`read(): ${describe(tcp.read())}`);
	try {
		await events.wait("error", 1, 1000);
		say(`after reading, onError: called once`);
	} catch {
		say(`after reading, onError: not called within 1000 ms`);
	}
	tcp.close();

	({ tcp, events } = await connected(peer));
	await peer.call("reset");
	say(`peer RST: onError(${(await events.wait("error")).length} arguments)`);
	tcp.close();

	({ tcp, events } = await connected(peer));
	await peer.call("end");
	await events.wait("error");
	say(`write after the peer's FIN was reported: ${thrown(() => tcp.write(Uint8Array.of(1)), true)}`);
	tcp.close();
}
