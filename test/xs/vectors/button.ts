// Vectors for linklab/button: presses of several lengths, with contact bounce, through the PressDetector and the
// BOOT button wiring (a fake Digital, clock and timers), on Node and XS.
import { PressDetector, startBootButton } from "linklab/button";
import { FakeClock, captureLog } from "../../support/fakes.ts";

function presses(script: [boolean, number][]): string[] {
  const clock = new FakeClock();
  let pressed = false;
  const out: string[] = [];
  const detector = new PressDetector({ clock: clock.clock, timers: clock.timers, pressed: () => pressed }, { short: (ms) => out.push(`short ${ms}`), long: (ms) => out.push(`long ${ms}`) });
  for (const [down, thenMs] of script) {
    pressed = down;
    detector.changed();
    clock.advance(thenMs);
  }
  out.push(`timers ${clock.pendingTimers}`);
  return out;
}

function wired(holdMs: number, restart: boolean): string[] {
  const clock = new FakeClock();
  const { log, lines } = captureLog(clock.clock);
  let level = 1;
  let edge: (() => void) | undefined;
  class Digital {
    static readonly InputPullUp = 1;
    static readonly Rising = 1;
    static readonly Falling = 2;
    constructor(options: { onReadable: () => void }) {
      edge = options.onReadable;
    }
    read(): number {
      return level;
    }
    close(): void {}
  }
  const actions: string[] = [];
  startBootButton(Digital, { dropMs: 3000, offMs: 7000 }, { clock: clock.clock, timers: clock.timers, log: log.tag("button") }, {
    dropWifi: (forMs) => actions.push(`drop ${forMs ?? "-"} at ${clock.nowMs}`),
    restart: restart ? () => actions.push(`restart at ${clock.nowMs}`) : undefined,
  });
  level = 0;
  edge?.();
  clock.advance(holdMs);
  level = 1;
  edge?.();
  clock.advance(10000);
  return [...lines, ...actions];
}

export function vectors(): Record<string, unknown> {
  return {
    tap: presses([[true, 150], [false, 100]]),
    bounce: presses([[true, 1], [false, 1], [true, 400], [false, 3], [true, 3], [false, 100]]),
    tooShort: presses([[true, 10], [false, 3000]]),
    justShort: presses([[true, 1999], [false, 100]]),
    long: presses([[true, 5000], [false, 100]]),
    short: wired(300, true),
    longRestart: wired(2500, true),
    longRejoin: wired(2500, false),
  };
}
