// The app side of the differential suite: what a case uses to drive its outside peer, wait for its own callbacks
// and print its observations. Plain JavaScript for both runtimes (XS under mcsim, and `linklab run`): only
// ECMA-419 sockets, `timer` and `trace`. Every printed line starts with "diff <case>: ", and the suite compares
// those lines between the two runtimes.
//
// The peer is the test run's peer service (differential.test.ts), reached over one TCP connection on loopback
// (config `control`). One command line out, one reply line back: see service.ts for the commands.
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";

/** `diff <case>: <text>` on the serial log. */
export function say(name, text) {
	trace(`diff ${name}: ${text}\n`);
}

/** How an exception looks, comparable across runtimes: its class and, when asked, its message. */
export function thrown(f, withMessage = false) {
	try {
		const value = f();
		return "returned " + describe(value);
	} catch (error) {
		return "throws " + (error?.constructor?.name ?? typeof error) + (withMessage ? " " + JSON.stringify(String(error?.message)) : "");
	}
}

export function describe(value) {
	if (value === undefined) return "undefined";
	if (value instanceof ArrayBuffer) return `ArrayBuffer ${JSON.stringify(String.fromArrayBuffer(value))}`;
	if (typeof value === "string") return JSON.stringify(value);
	return String(value);
}

export function text(buffer) {
	return String.fromArrayBuffer(buffer);
}

export function bytes(string) {
	return ArrayBuffer.fromString(string);
}

/** A promise that resolves after ms. Only for checking that something does NOT happen within a bounded time. */
export function quiet(ms) {
	return new Promise((resolve) => Timer.set(resolve, ms));
}

/** Callback arguments recorded by name, with bounded waits for the n-th call of a name. */
export class Events {
	list = [];
	#waiters = [];
	on(name) {
		const events = this;
		return function (...args) {
			events.list.push({ name, args });
			for (const wake of events.#waiters.slice()) wake();
		};
	}
	count(name) {
		return this.list.filter((event) => event.name === name).length;
	}
	names() {
		return this.list.map((event) => event.name).join(",");
	}
	/** The arguments of the `nth` call (1-based) of `name`; rejects after ms without it. */
	wait(name, nth = 1, ms = 3000) {
		return new Promise((resolve, reject) => {
			let timer;
			const check = () => {
				const hits = this.list.filter((event) => event.name === name);
				if (hits.length < nth) return false;
				Timer.clear(timer);
				this.#waiters.splice(this.#waiters.indexOf(check), 1);
				resolve(hits[nth - 1].args);
				return true;
			};
			if (check()) return;
			this.#waiters.push(check);
			timer = Timer.set(() => {
				this.#waiters.splice(this.#waiters.indexOf(check), 1);
				reject(new Error(`no ${name} #${nth} within ${ms} ms (seen: ${this.names() || "nothing"})`));
			}, ms);
		});
	}
}

/**
 * A TCP client of the board connected to a fresh peer server, with its callbacks recorded: resolves once connected
 * (the first onWritable, whose count is `writable`) and accepted by the peer.
 */
export async function connected(peer, options = {}) {
	const port = await peer.call("tcp-server");
	const events = new Events();
	const tcp = new TCP({ address: "127.0.0.1", port, onReadable: events.on("readable"), onWritable: events.on("writable"), onError: events.on("error"), ...options });
	const [writable] = await events.wait("writable");
	await peer.call("accepted");
	return { tcp, events, writable };
}

/** The connection to the peer service. */
export class Peer {
	#tcp;
	#ready;
	#pending = [];
	#text = "";

	static open(control) {
		const peer = new Peer();
		const [address, port] = String(control).split(":");
		peer.#ready = new Promise((resolve, reject) => {
			peer.#tcp = new TCP({
				address,
				port: Number(port),
				onWritable() {
					resolve();
				},
				onReadable() {
					peer.#text += text(this.read());
					let at;
					while ((at = peer.#text.indexOf("\n")) >= 0) {
						const line = peer.#text.slice(0, at);
						peer.#text = peer.#text.slice(at + 1);
						peer.#pending.shift()?.(line);
					}
				},
				onError() {
					reject(new Error("the peer service at " + control + " went away"));
				},
			});
		});
		return peer;
	}

	/** Send one command (verb and JSON-able arguments); resolves with the reply line, parsed as JSON. */
	async call(verb, ...args) {
		await this.#ready;
		const reply = new Promise((resolve) => this.#pending.push(resolve));
		this.#tcp.write(bytes(JSON.stringify([verb, ...args]) + "\n"));
		return JSON.parse(await reply);
	}
}
