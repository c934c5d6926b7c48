// embedded:io/digital on Node, after Moddable SDK 8.2.3's modules/io/digital/digital.js over
// esp32/digitalbank.c: the ESP32's GPIO pins as one board has them. Pin 0 is the BOOT button of an ESP32 dev board:
// held high by its pull-up, low while pressed. The lab presses it with the board command {type:"button", ms}
// (commands.ts calls pressButton): the pin falls, and rises again ms later; onReadable is called on the edges a
// Digital watches, and read() gives the level. Other input pins read their pull (up: 1, else 0); outputs keep what
// was written. Nothing else drives a pin in the simulator.
import { board } from "./board.ts";
import { invoke, post } from "./machine.ts";

/** The GPIO of the ESP32's BOOT button on dev boards (strapping pin, external pull-up). */
export const BOOT_PIN = 0;

/** esp32/digitalbank.c: the modes and edges. */
const INPUT = 0;
const INPUT_PULL_UP = 1;
const INPUT_PULL_DOWN = 2;
const INPUT_PULL_UP_DOWN = 3;
const OUTPUT = 8;
const OUTPUT_OPEN_DRAIN = 9;
const RISING = 1;
const FALLING = 2;

/** SOC_GPIO_VALID_GPIO_MASK of the ESP32: GPIO 0-19, 21-23, 25-27 and 32-39; 34-39 are inputs only. */
const VALID = new Set([...Array(40).keys()].filter((pin) => pin !== 20 && pin !== 24 && (pin < 28 || pin > 31)));
const INPUT_ONLY = (pin: number): boolean => pin >= 34;

interface DigitalRecord {
  pin: number;
  mode: number;
  rises: boolean;
  falls: boolean;
  onReadable: ((this: Digital) => void) | undefined;
  level: 0 | 1;
  closer: () => void;
}

const records = new WeakMap<Digital, DigitalRecord>();
/** Pins in use, and the open Digital objects watching edges. */
const used = new Set<number>();
const watching = new Set<Digital>();
/** The BOOT button's level: 1 released, 0 pressed. */
const button = { level: 1 as 0 | 1, release: undefined as NodeJS.Timeout | undefined };

function live(digital: unknown): DigitalRecord {
  const record = typeof digital === "object" && digital !== null ? records.get(digital as Digital) : undefined;
  if (!record) throw new SyntaxError("C: xsGetHostData: invalid host data");
  return record;
}

function edge(level: 0 | 1): void {
  button.level = level;
  for (const digital of [...watching]) {
    const record = records.get(digital);
    if (!record || record.pin !== BOOT_PIN || !record.onReadable) continue;
    if ((level === 1 && record.rises) || (level === 0 && record.falls)) {
      const callback = record.onReadable;
      post(() => {
        if (records.get(digital) === record) invoke(callback, digital);
      });
    }
  }
}

/**
 * Someone holds the BOOT button down for `ms` (the lab's `button` fault). A press while the button is held is
 * ignored: a finger is already on it.
 */
export function pressButton(ms: number): void {
  if (button.level === 0) return;
  edge(0);
  button.release = setTimeout(() => {
    button.release = undefined;
    edge(1);
  }, Math.max(0, ms));
}

/** Let go of the button at once (a board closing down, or a test between cases). */
export function releaseButton(): void {
  if (button.release) clearTimeout(button.release);
  button.release = undefined;
  if (button.level === 0) edge(1);
}

export interface DigitalOptions {
  pin: number | { pin: number; port?: unknown };
  mode: number;
  edge?: number;
  onReadable?: (this: Digital) => void;
  format?: "number";
  target?: unknown;
}

export default class Digital {
  static readonly Input = INPUT;
  static readonly InputPullUp = INPUT_PULL_UP;
  static readonly InputPullDown = INPUT_PULL_DOWN;
  static readonly InputPullUpDown = INPUT_PULL_UP_DOWN;
  static readonly Output = OUTPUT;
  static readonly OutputOpenDrain = OUTPUT_OPEN_DRAIN;
  static readonly Rising = RISING;
  static readonly Falling = FALLING;
  declare target?: unknown;

  constructor(options: DigitalOptions) {
    let pin: unknown = options?.pin;
    if (pin === undefined) throw new Error("invalid");
    if (typeof pin === "object" && pin !== null && "pin" in pin) pin = pin.pin;
    const number = Number(pin);
    if (!Number.isInteger(number) || !VALID.has(number)) throw new Error("invalid pin");
    if (used.has(number)) throw new Error("in use");
    const mode = Math.trunc(Number(options.mode));
    const input = mode >= INPUT && mode <= INPUT_PULL_UP_DOWN;
    if (!input && mode !== OUTPUT && mode !== OUTPUT_OPEN_DRAIN) throw new RangeError("invalid mode");
    if (!input && INPUT_ONLY(number)) throw new RangeError("input only");
    const onReadable = input && typeof options.onReadable === "function" ? options.onReadable : undefined;
    const edges = Number(options.edge ?? 0);
    if (onReadable && !(edges & (RISING | FALLING))) throw new RangeError("invalid edges");
    if (options.format !== undefined && options.format !== "number") throw new RangeError("invalid format");
    const record: DigitalRecord = {
      pin: number,
      mode,
      rises: (edges & RISING) !== 0,
      falls: (edges & FALLING) !== 0,
      onReadable,
      level: mode === INPUT_PULL_UP ? 1 : 0,
      closer: () => this.close(),
    };
    used.add(number);
    records.set(this, record);
    if (onReadable) watching.add(this);
    board.closers.add(record.closer);
    if ("target" in options) this.target = options.target;
  }

  /** The pin's level: the BOOT button's for pin 0, an input's pull, or what an output was last given. */
  read(): 0 | 1 {
    const record = live(this);
    if (record.pin === BOOT_PIN && record.mode !== OUTPUT && record.mode !== OUTPUT_OPEN_DRAIN) return button.level;
    return record.level;
  }

  write(value: number): void {
    const record = live(this);
    if (record.mode !== OUTPUT && record.mode !== OUTPUT_OPEN_DRAIN) throw new Error("can't write input");
    record.level = Number(value) ? 1 : 0;
  }

  /** Idempotent; afterwards read() and write() throw, as XS's host-data check does. */
  close(): void {
    const record = records.get(this);
    if (!record) return;
    records.delete(this);
    watching.delete(this);
    used.delete(record.pin);
    board.closers.delete(record.closer);
  }

  get format(): "number" {
    return "number";
  }

  set format(value: "number") {
    if (value !== "number") throw new RangeError("invalid format");
  }
}
