// embedded:io/socket/listener: a second Listener on a port already taken (test/runtime/listener.test.ts).
import Listener from "embedded:io/socket/listener";
import { thrown } from "peer";

export default async function (peer, say) {
	const first = new Listener({ port: 0 });
	say(`a second Listener on the same port: ${thrown(() => new Listener({ port: first.port }), true)}`);
	first.close();
}
