// embedded:io/socket/listener (test/runtime/listener.test.ts), with the peer service's node:net clients.
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import { Events, bytes, describe, quiet, text, thrown } from "peer";

export default async function (peer, say) {
	const target = {};
	const events = new Events();
	const listener = new Listener({ port: 0, target, onReadable: events.on("readable") });
	const port = listener.port;
	say(`port 0: an ephemeral port at once: ${typeof port === "number" && port >= 1 && port <= 65535}`);
	say(`target kept: ${listener.target === target}, format ${listener.format}, set format "buffer": ${thrown(() => (listener.format = "buffer"))}`);
	say(`read() with nothing pending: ${describe(listener.read())}`);

	// Two clients: onReadable reports the pending count.
	const first = await peer.call("connect", port);
	await peer.call("connect", port);
	for (let nth = 1; (await events.wait("readable", nth))[0] < 2; nth++);
	say(`two clients connected: the last onReadable reports ${events.list.at(-1).args[0]} pending`);
	const from = listener.read();
	say(`read(): a TCP: ${from instanceof TCP}, remoteAddress ${from.remoteAddress}, remotePort is the client's port: ${from.remotePort === first}, format ${from.format}`);
	const adopted = new TCP({ from });
	say(`the socket given to {from} afterwards: read ${thrown(() => from.read())}, new TCP({from}) ${thrown(() => new TCP({ from }))}, close ${thrown(() => from.close())}`);
	adopted.close();
	listener.read()?.close();

	// Left pending: onReadable comes again only when a new connection arrives (lwIP and lin both trigger on accept).
	const counts = events.count("readable");
	await quiet(300);
	say(`nothing read, no new client: onReadable calls within 300 ms: ${events.count("readable") - counts}`);

	// Bytes sent before the socket is adopted are delivered after it, then onWritable.
	await peer.call("connect", port);
	await peer.call("send", "early");
	await events.wait("readable", counts + 1);
	const mine = new Events();
	const early = new TCP({ from: listener.read(), onReadable: mine.on("readable"), onWritable: mine.on("writable") });
	say(`"early" sent before adoption: onReadable(${await mine.wait("readable")}), read() ${describe(early.read())}`);
	await mine.wait("writable");
	say(`then onWritable: called`);

	// The board's reply and FIN as the client sees them.
	early.write(bytes("WELCOME\n"));
	early.close();
	say(`write "WELCOME\\n" and close(): the client sees ${JSON.stringify(await peer.call("ended"))}`);

	// A client's FIN: onReadable for its last bytes, then onError.
	await peer.call("connect", port);
	await events.wait("readable", counts + 2);
	const fin = new Events();
	const server = new TCP({ from: listener.read(), onReadable: fin.on("readable"), onError: fin.on("error") });
	await peer.call("end", "BYE\n");
	await fin.wait("readable");
	say(`client sends "BYE\\n" and FIN: read() ${describe(server.read())}`);
	await fin.wait("error");
	say(`callbacks: ${fin.names()}`);
	server.close();

	// A Moddable TCP client and the listener's TCP, echoing.
	const echo = new Events();
	const echoListener = new Listener({
		port: 0,
		onReadable() {
			new TCP({
				from: this.read(),
				onReadable() {
					const data = this.read();
					echo.on("server got")(text(data));
					this.write(data);
				},
			});
		},
	});
	let sent = false;
	const client = new TCP({
		address: "127.0.0.1",
		port: echoListener.port,
		onWritable() {
			if (sent) return;
			sent = true;
			this.write(bytes("marco"));
		},
		onReadable() {
			echo.on("client got")(text(this.read()));
		},
	});
	say(`echo: server got ${JSON.stringify((await echo.wait("server got"))[0])}, client got ${JSON.stringify((await echo.wait("client got"))[0])}`);
	client.close();
	echoListener.close();

	listener.close();
	say(`after close(): read ${thrown(() => listener.read())}, close again ${thrown(() => listener.close())}, a client connecting: ${await peer.call("connect", port)}`);
}
