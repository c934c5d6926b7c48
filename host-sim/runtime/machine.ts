// The XS machine's side of every host callback: Moddable posts a message to the machine and calls the script from
// the event loop (modMessagePostToMachine); an exception that escapes the script aborts the machine. Here every
// runtime module calls into the app through `invoke`, so an uncaught exception prints what XS prints and exits 1.
import { inspect } from "node:util";

type Abort = (error: unknown) => never;

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return inspect(error);
}

const exitLikeXS: Abort = (error) => {
  process.stderr.write(`XS abort: unhandled exception\n${describe(error)}\n`);
  process.exit(1);
};

let abortMachine: Abort = exitLikeXS;

/**
 * Replace what an uncaught callback exception does (default: the XS abort above). For the lab's many-boards-in-one-
 * process benches only; tests of the abort itself run a child process and keep the default.
 */
export function setAbort(next: Abort | undefined): void {
  abortMachine = next ?? exitLikeXS;
}

/** Call an app callback as XS does from a host message: `this` is the host object; a throw aborts the machine. */
export function invoke<A extends unknown[]>(callback: (...args: A) => unknown, self: unknown, ...args: A): void {
  try {
    callback.apply(self, args);
  } catch (error) {
    abortMachine(error);
  }
}

/** Abort the machine with `error` (for failures XS would raise synchronously but Node reports later). */
export function abort(error: unknown): never {
  return abortMachine(error);
}

/** modMessagePostToMachine: run `deliver` on a later turn of the event loop, after the current callback returns. */
export function post(deliver: () => void): void {
  setImmediate(deliver);
}
