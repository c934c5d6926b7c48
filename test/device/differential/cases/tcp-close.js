// embedded:io/socket/tcp: closing (test/runtime/tcp.test.ts, "closing").
import { bytes, connected, quiet, thrown } from "peer";

export default async function (peer, say) {
	let { tcp } = await connected(peer);
	tcp.close();
	say(`close() twice: ${thrown(() => tcp.close())}`);
	say(`after close(): read ${thrown(() => tcp.read())}, write ${thrown(() => tcp.write(Uint8Array.of(1)))}, remoteAddress ${thrown(() => tcp.remoteAddress)}, format ${thrown(() => tcp.format)}`);

	let events;
	({ tcp, events } = await connected(peer));
	const before = events.list.length;
	tcp.close();
	await peer.call("end", "too late");
	await peer.call("closed");
	await quiet(200);
	say(`data and FIN after close(): callbacks ${events.list.length - before}`);

	({ tcp } = await connected(peer));
	tcp.write(bytes("bye\n"));
	tcp.close();
	say(`write "bye\\n" then close(): peer sees ${JSON.stringify(await peer.call("ended"))}`);

	({ tcp, events } = await connected(peer));
	await peer.call("end");
	await events.wait("error");
	tcp.close();
	say(`close() in onError after the peer's FIN: peer sees ${JSON.stringify(await peer.call("ended"))}`);

	({ tcp, events } = await connected(peer));
	await peer.call("send", "unread");
	await events.wait("readable");
	tcp.close();
	say(`close() with received data unread: peer sees ${JSON.stringify(await peer.call("ended"))}`);
}
