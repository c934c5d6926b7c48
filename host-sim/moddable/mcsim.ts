// Running a lin image on real XS: Moddable's desktop runtime `mcsim` loads the app's mc.so. It is a GTK program, so
// it runs headless on one Xvfb display that this process starts on first use (Xvfb -displayfd picks a free
// display number) and stops at exit. mcsim never exits by itself, not even after `XS abort`: its owner stops it.
// Two things make several run at once: each gets its own XDG_CONFIG_HOME (mcsim copies the app to
// $XDG_CONFIG_HOME/tech.moddable.mcsim/mc.so), and stdout is line-buffered through stdbuf (trace() goes to stdout
// with printf, which a pipe would otherwise hold back until mcsim is killed, losing it).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onPath, sdkEnv, type Sdk } from "./sdk.ts";

/** What a program needs to run an image on this machine, or one line saying what is missing. */
export function mcsimMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform !== "linux") return "running images on Moddable's runtime is supported here on Linux only (mcsim for lin)";
  for (const program of ["Xvfb", "stdbuf"]) {
    if (!onPath(program, env)) return `no ${program} on PATH: mcsim needs a display (apt-get install xvfb xauth; docs/flashing.md, "The Moddable SDK")`;
  }
  return undefined;
}

let display: Promise<string> | undefined;
let xvfb: ChildProcess | undefined;

/** The shared headless display, started once. */
export function headlessDisplay(): Promise<string> {
  display ??= new Promise<string>((resolve, reject) => {
    const child = spawn("Xvfb", ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "640x480x24"], { stdio: ["ignore", "ignore", "pipe", "pipe"] });
    xvfb = child;
    let err = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    const fd3 = child.stdio[3] as NodeJS.ReadableStream;
    let number = "";
    fd3.setEncoding("utf8");
    fd3.on("data", (chunk: string) => {
      number += chunk;
      if (!number.includes("\n")) return;
      // From now on the display must not keep this process alive: whoever uses it holds its own child.
      child.unref();
      (child.stderr as unknown as { unref?: () => void }).unref?.();
      (fd3 as unknown as { unref?: () => void }).unref?.();
      resolve(`:${number.trim()}`);
    });
    child.once("exit", (code) => {
      display = undefined;
      xvfb = undefined;
      reject(new Error(`Xvfb exited (${code}): ${err.trim().split("\n").pop() ?? ""}`));
    });
    child.once("error", reject);
  });
  return display;
}

process.once("exit", () => xvfb?.kill("SIGKILL"));

export interface McsimLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Remove what the launch made (its config directory); call after the process has exited. */
  cleanup: () => void;
}

/** How to start mcsim on an image: the command, its arguments and environment (with its own config directory). */
export async function mcsimLaunch(sdk: Sdk, image: string): Promise<McsimLaunch> {
  const configHome = mkdtempSync(join(tmpdir(), "linklab-mcsim-"));
  const env: NodeJS.ProcessEnv = { ...sdkEnv(sdk), DISPLAY: await headlessDisplay(), XDG_CONFIG_HOME: configHome, NO_AT_BRIDGE: "1", GDK_BACKEND: "x11" };
  // mcsim is a GApplication with one fixed id: on a session bus a second instance would hand its image to the first.
  delete env.DBUS_SESSION_BUS_ADDRESS;
  return {
    command: "stdbuf",
    args: ["-oL", "-eL", join(sdk.binDir, "mcsim"), image],
    env,
    cleanup: () => rmSync(configHome, { recursive: true, force: true }),
  };
}
