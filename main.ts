// linklab firmware entry: wiring only (read config, start the link, start the roles). Filled in by the firmware issue.
trace("0 I main: linklab booting\n");
