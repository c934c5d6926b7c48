// The timer module (test/runtime/timer.test.ts, "timer").
import Timer from "timer";
import { Events, quiet, thrown } from "peer";

export default async function (peer, say) {
	let events = new Events();
	const once = Timer.set(events.on("fired"), 5);
	say(`Timer.set(cb, 5): called with the timer: ${(await events.wait("fired"))[0] === once}`);
	say(`Timer.schedule on a fired one-shot timer: ${thrown(() => Timer.schedule(once, 5))}`);

	events = new Events();
	Timer.set(events.on("fired"));
	await events.wait("fired");
	say(`Timer.set(cb) with no delay: fires`);

	events = new Events();
	let start = Date.now();
	let timer = Timer.set(events.on("fired"), 30, 5);
	await events.wait("fired");
	const firstMs = Date.now() - start;
	await events.wait("fired", 3);
	Timer.clear(timer);
	say(`Timer.set(cb, 30, 5): first call after 30 ms or more: ${firstMs >= 29}, then repeats`);

	events = new Events();
	timer = Timer.repeat(events.on("fired"), 2);
	await events.wait("fired", 3);
	Timer.clear(timer);
	let count = events.count("fired");
	await quiet(30);
	say(`Timer.repeat(cb, 2) then Timer.clear: calls after clear: ${events.count("fired") - count}`);

	events = new Events();
	timer = Timer.repeat(events.on("fired"), 5);
	Timer.schedule(timer);
	await quiet(30);
	say(`Timer.schedule(t) parks a repeating timer: calls within 30 ms: ${events.count("fired")}`);
	Timer.schedule(timer, 1);
	await events.wait("fired");
	say(`Timer.schedule(t, 1) wakes it`);
	Timer.clear(timer);

	events = new Events();
	const fired = events.on("fired");
	timer = Timer.set((t) => {
		fired();
		if (events.count("fired") === 1) Timer.schedule(t, 2, 2);
	}, 1);
	await events.wait("fired", 3);
	Timer.clear(timer);
	say(`a one-shot timer rescheduled as repeating in its callback: fires again`);

	timer = Timer.set(() => {}, 1000);
	Timer.clear(timer);
	say(`Timer.schedule on a cleared timer: ${thrown(() => Timer.schedule(timer, 5))}`);
	say(`Timer.clear(undefined): ${thrown(() => Timer.clear(undefined))}, (null): ${thrown(() => Timer.clear(null))}, cleared: ${thrown(() => Timer.clear(timer))}, ({}): ${thrown(() => Timer.clear({}))}`);

	start = Date.now();
	Timer.delay(30);
	say(`Timer.delay(30) blocks 30 ms or more: ${Date.now() - start >= 29}`);
}
