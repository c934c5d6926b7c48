// embedded:io/socket/listener: connections left pending are not reported again until a new one arrives, so an app
// must drain read() itself (a burst of more connections than an app reads per onReadable is otherwise stranded).
import Listener from "embedded:io/socket/listener";
import { Events, quiet } from "peer";

export default async function (peer, say) {
	const events = new Events();
	const listener = new Listener({ port: 0, onReadable: events.on("readable") });
	for (let i = 0; i < 3; i++) await peer.call("connect", listener.port);
	for (let nth = 1; (await events.wait("readable", nth))[0] < 3; nth++);
	say(`three clients: onReadable reports 3 pending`);
	listener.read().close();
	const calls = events.count("readable");
	await quiet(300);
	say(`one read, two left pending: onReadable calls within 300 ms: ${events.count("readable") - calls}`);
	await peer.call("connect", listener.port);
	say(`a fourth client: onReadable(${await events.wait("readable", calls + 1)})`);
	let drained = 0;
	for (let socket = listener.read(); socket; socket = listener.read()) {
		drained++;
		socket.close();
	}
	say(`read() until undefined: ${drained} sockets`);
	listener.close();
}
