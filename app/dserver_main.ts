/** `dserver` entry point: the same program as the clients, started under the name dserver. */
import { main } from "./main.ts";

if (import.meta.main) {
  Deno.env.set("DTAIL_PROGRAM", "dserver");
  Deno.exit(await main(Deno.args));
}
