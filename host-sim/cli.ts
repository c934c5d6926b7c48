// The linklab command line: `linklab run [app-dir] [key=value ...]` runs a Moddable app as one simulated board
// (serial log on stdout); `linklab lab [scenario] [--json FILE]` runs a lab scenario. Usage errors: one line, exit 2.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError, parseWords } from "./app.ts";
import { bootBoard, EXIT_USAGE, firstLine } from "./boot.ts";

const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const usage = `usage: linklab run [app-dir] [key=value ...]
       linklab lab [scenario] [--json FILE]`;

async function run(words: string[]): Promise<void> {
  const { dir, overrides } = parseWords(words);
  const id = process.env.LINKLAB_BOARD_ID;
  const address = process.env.LINKLAB_BOARD_ADDRESS;
  const peers = process.env.LINKLAB_PEERS?.split(",").filter(Boolean);
  await bootBoard({ appDir: dir ?? repoDir, overrides, identity: { id, address, peers } });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    if (command === "run") return await run(rest);
    if (command === "lab") {
      const lab = await import("./lab/cli.ts");
      return await lab.main(rest);
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
