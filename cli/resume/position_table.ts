/**
 * Where a `dtail` follow is on one server (docs/protocol.md#resume): the last position message of
 * each followed file, keyed by the command's target and the file's path. It outlives the
 * connections to that server: a reconnect sends the positions back as the `resume` option.
 */
import {
  encodeResumeRequest,
  type FilePosition,
  MAX_RESUME_ENTRIES,
} from "../../core/protocol/resume.ts";

/**
 * The longest resume request sent: the option is base64 inside the command, and the command base64
 * inside its frame (16/9 of this, plus the rest of the command), within the 1 MiB frame a server
 * takes by default.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

export class PositionTable {
  readonly #targets = new Map<string, Map<string, FilePosition>>();

  /**
   * A position message arrived (in stream order: after the lines it confirms). At most
   * MAX_RESUME_ENTRIES files per target are kept, as many as a resume request may name: a server
   * that sends positions of ever new paths cannot grow the table without end.
   */
  record(target: string, position: FilePosition): void {
    let files = this.#targets.get(target);
    if (files === undefined) {
      if (this.#targets.size >= MAX_RESUME_ENTRIES) return;
      this.#targets.set(target, files = new Map());
    }
    if (files.size >= MAX_RESUME_ENTRIES && !files.has(position.path)) return;
    files.set(position.path, position);
  }

  /**
   * Told of a target whose request would not fit in a command frame (it is followed afresh: lines
   * written while disconnected are missing there).
   */
  onTooLarge: (target: string, files: number) => void = () => {};

  /**
   * The `resume` option of a target's command; undefined while no position of it is known, and
   * when the request is too large for a server's default MaxCommandFrameSize (thousands of files):
   * such a command would end the session at every reconnect.
   */
  request(target: string): string | undefined {
    const files = this.#targets.get(target);
    if (files === undefined || files.size === 0) return undefined;
    const request = encodeResumeRequest([...files.values()]);
    if (request.length <= MAX_REQUEST_BYTES) return request;
    this.onTooLarge(target, files.size);
    return undefined;
  }

  get size(): number {
    let n = 0;
    for (const files of this.#targets.values()) n += files.size;
    return n;
  }
}
