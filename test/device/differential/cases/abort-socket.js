// An exception escaping a socket callback (onError of a refused connect) aborts the machine.
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";

export default async function (peer) {
	new TCP({
		address: "127.0.0.1",
		port: await peer.call("closed-port"),
		onError() {
			throw new TypeError("boom in onError");
		},
	});
	await new Promise((resolve) => Timer.set(resolve, 1000));
}
