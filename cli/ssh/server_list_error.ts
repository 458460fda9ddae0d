import { SetupError } from "../../core/errors.ts";

/** `--servers` / `--discovery` (or the file or inventory they name) cannot be made a server list. */
export class ServerListError extends SetupError {
  override name = "ServerListError";
}
