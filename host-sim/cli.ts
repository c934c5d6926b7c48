// The linklab command line. `run` runs a Moddable app as one simulated board (or, with --moddable, on Moddable's
// own runtime built by the user's SDK); `build` runs mcconfig on an app; `lab` runs a lab scenario.
// Usage errors, a missing SDK or a missing display: one line on stderr, exit 2.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError, loadApp, mergeConfig, parseWords } from "./app.ts";
import { bootBoard, EXIT_USAGE, firstLine } from "./boot.ts";

const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const usage = `usage: linklab <command> [options]

  linklab run [app-dir] [key=value ...]             run an app as one simulated board (serial log on stdout)
  linklab run --moddable [app-dir] [key=value ...]  build it for lin with the Moddable SDK and run it on real XS
  linklab build [app-dir] [--platform lin|esp32] [--debug] [key=value ...]
                                                    run mcconfig on an app (default: this repository)
  linklab lab [scenario] [--json FILE] [--seed N] [--debug] [--ui] | linklab lab --list
                                                    run a lab scenario (several boards, faults, expectations);
                                                    --ui serves a live page of it on 127.0.0.1 (the URL is printed)
  linklab report RUN.json [-o run.html]             one self-contained HTML file of a run (diagrams, timeline, summary, log)
  linklab monitor [PORT[@BAUD] ...] [--udp [ADDRESS:]PORT] [--baud N] [--debug]
                                                    every board's log in one view: serial ports and UDP syslog
                                                    (boards built with logTo=<this machine>:PORT), with each board's state
  linklab help                                      this text (also --help, -h)

app-dir defaults to this repository. key=value words override manifest.json "config", as mcconfig's do.
The Moddable SDK is found at $MODDABLE, else where xs-dev installs it (~/.local/share/moddable).`;

const isHelp = (word: string | undefined): boolean => word === "--help" || word === "-h" || word === "help";

/** `--flag` words out of a command line, the rest (app dir and key=value words) in order. */
function takeFlags(words: string[], known: Record<string, "bool" | "value">): { flags: Record<string, string | true>; rest: string[] } {
  const flags: Record<string, string | true> = {};
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!word.startsWith("--")) {
      rest.push(word);
      continue;
    }
    const kind = known[word];
    if (!kind) throw new AppError(`unknown option '${word}'`);
    if (kind === "bool") flags[word] = true;
    else {
      const value = words[++i];
      if (value === undefined || value.startsWith("--")) throw new AppError(`${word} needs a value`);
      flags[word] = value;
    }
  }
  return { flags, rest };
}

async function sdkOrExit() {
  const { findSdk, isSdk } = await import("./moddable/sdk.ts");
  const found = findSdk();
  if (!isSdk(found)) throw new AppError(found.missing);
  return found;
}

async function run(words: string[]): Promise<void> {
  const { flags, rest } = takeFlags(words, { "--moddable": "bool" });
  const { dir, overrides } = parseWords(rest);
  const appDir = resolve(dir ?? repoDir);
  if (!flags["--moddable"]) {
    const id = process.env.LINKLAB_BOARD_ID;
    const address = process.env.LINKLAB_BOARD_ADDRESS;
    const peers = process.env.LINKLAB_PEERS?.split(",").filter(Boolean);
    await bootBoard({ appDir, overrides, identity: { id, address, peers } });
    return;
  }
  for (const warning of mergeConfig(loadApp(appDir), overrides).warnings) process.stderr.write(`linklab: warning: ${warning}\n`);
  const sdk = await sdkOrExit();
  const { mcsimMissing } = await import("./moddable/mcsim.ts");
  const missing = mcsimMissing();
  if (missing) throw new AppError(missing);
  const { buildApp } = await import("./moddable/build.ts");
  const built = await buildApp(sdk, { appDir, overrides });
  if (!built.ok || !built.image) throw new AppError(built.summary);
  const { runImage } = await import("./moddable/run.ts");
  await runImage(sdk, built.image);
}

async function build(words: string[]): Promise<void> {
  const { flags, rest } = takeFlags(words, { "--platform": "value", "--debug": "bool" });
  const platform = flags["--platform"] ?? "lin";
  if (platform !== "lin" && platform !== "esp32") throw new AppError(`--platform ${String(platform)}: expected lin or esp32`);
  const { dir, overrides } = parseWords(rest);
  const appDir = resolve(dir ?? repoDir);
  for (const warning of mergeConfig(loadApp(appDir), overrides).warnings) process.stderr.write(`linklab: warning: ${warning}\n`);
  const sdk = await sdkOrExit();
  const { buildApp } = await import("./moddable/build.ts");
  const result = await buildApp(sdk, { appDir, platform, debug: flags["--debug"] === true, overrides });
  if (result.ok) {
    process.stdout.write(`linklab: ${result.summary} in ${(result.ms / 1000).toFixed(1)} s\n`);
    return;
  }
  process.stderr.write(`linklab: ${result.summary}\n`);
  process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (isHelp(command) || (command !== "lab" && command !== "monitor" && rest.some((word) => word === "--help" || word === "-h"))) {
    process.stdout.write(usage + "\n");
    return;
  }
  try {
    if (command === "run") return await run(rest);
    if (command === "build") return await build(rest);
    if (command === "lab") {
      const lab = await import("./lab/cli.ts");
      return await lab.main(rest);
    }
    if (command === "report") {
      const report = await import("./ui/report.ts");
      return await report.main(rest);
    }
    if (command === "monitor") {
      const monitor = await import("./monitor/cli.ts");
      return await monitor.main(rest);
    }
    process.stderr.write(`linklab: ${command ? `unknown command '${command}'` : "no command"}\n${usage}\n`);
    process.exit(EXIT_USAGE);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    process.stderr.write(`linklab: ${firstLine(error)}\n`);
    process.exit(EXIT_USAGE);
  }
}

await main(process.argv.slice(2));
