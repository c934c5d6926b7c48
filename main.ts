import Time from "time";
import { hello } from "linklab/hello";
trace(`ticks ${Time.ticks} ${hello()}\n`);
