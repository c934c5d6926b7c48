// The time module (test/runtime/timer.test.ts, "time").
import Time from "time";
import Timer from "timer";

export default async function (peer, say) {
	const ticks = Time.ticks;
	say(`Time.ticks is an integer: ${Number.isInteger(ticks)}`);
	say(`Time.ticks counts from boot (under 60 s here): ${ticks >= 0 && ticks < 60_000}`);
	say(`Time.delta(100, 350): ${Time.delta(100, 350)}`);
	const start = Time.ticks;
	Timer.delay(5);
	say(`Time.delta(start) after Timer.delay(5) is 5 or more: ${Time.delta(start) >= 5}`);
	say(`Time.delta across the 32-bit rollover (0x7ffffff0 to -0x7ffffff0): ${Time.delta(0x7ffffff0, -0x7ffffff0)}`);
	const us = Time.microseconds;
	say(`Time.microseconds is an integer: ${Number.isInteger(us)}`);
	say(`Time.microseconds / 1000 is within 50 of Time.ticks: ${Math.abs(us / 1000 - Time.ticks) < 50}`);
}
