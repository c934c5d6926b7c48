// mc/config on the simulator: the app's manifest.json "config" defaults, overridden by mcconfig-style key=value
// words. Like the real one (SDK 8.2.3) it is frozen and preloaded: manifest values keep their JSON types,
// overrides always arrive as strings, and JSON.stringify of it throws.
import { board } from "./board.ts";

const config: Record<string, unknown> = { ...board.config };
Object.defineProperty(config, "toJSON", {
  enumerable: false,
  value() {
    throw new TypeError("mc/config: cannot serialize a preloaded host object");
  },
});
export default Object.freeze(config);
