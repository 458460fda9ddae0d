import assert from "node:assert/strict";
import { decodeOptions, encodeOptions } from "./options.ts";
import {
  decodeResumeRequest,
  encodeResumeRequest,
  type FilePosition,
  markOf,
  MAX_RESUME_ENTRIES,
  parsePositionMessage,
  positionMessage,
  RESUME_OPTION,
  ResumeRequestError,
} from "./resume.ts";

const APP: FilePosition = { path: "/var/log/app.log", dev: 2049, ino: 131, offset: 4096 };

Deno.test("a resume request travels as a base64 option value and decodes to its positions", () => {
  const files = [APP, { path: "/var/log/a b|c.log", dev: 1, ino: 2, offset: 0, mark: "811c9dc5" }];
  const options = encodeOptions({ escape: "ac", [RESUME_OPTION]: encodeResumeRequest(files) });
  assert.match(options, /^escape=ac:resume=base64%[A-Za-z0-9+/=]+$/);
  assert.deepEqual(decodeResumeRequest(decodeOptions(options)[RESUME_OPTION]!), files);
});

Deno.test("a resume request is JSON with a version and a files list", () => {
  assert.equal(
    encodeResumeRequest([{ ...APP, mark: "0000abcd" }]),
    '{"v":1,"files":[{"path":"/var/log/app.log","dev":2049,"ino":131,"offset":4096,"mark":"0000abcd"}]}',
  );
  assert.deepEqual(decodeResumeRequest('{"v":1,"files":[]}'), []);
  // Unknown fields are skipped: a later client may send more.
  assert.deepEqual(
    decodeResumeRequest(
      '{"v":1,"since":5,"files":[{"path":"/x","dev":1,"ino":2,"offset":3,"z":1}]}',
    ),
    [{ path: "/x", dev: 1, ino: 2, offset: 3 }],
  );
});

Deno.test("a resume request that is not what the protocol says is refused with a reason", () => {
  const refused = (text: string, reason: RegExp) =>
    assert.throws(() => decodeResumeRequest(text), (err: unknown) => {
      assert.ok(err instanceof ResumeRequestError);
      assert.match(err.message, reason);
      return true;
    });
  const file = (fields: Record<string, unknown>) =>
    JSON.stringify({ v: 1, files: [{ ...APP, ...fields }] });
  refused("{not json", /^not JSON$/);
  refused("[]", /not a version 1 request/);
  refused('{"v":2,"files":[]}', /not a version 1 request/);
  refused('{"v":1}', /no files list/);
  refused(file({ path: "" }), /file 1: invalid path/);
  refused(file({ path: 7 }), /file 1: invalid path/);
  refused(file({ path: "/x\0y" }), /file 1: invalid path/);
  refused(file({ path: "/" + "x".repeat(5000) }), /file 1: invalid path/);
  refused(file({ offset: -1 }), /file 1: invalid offset/);
  refused(file({ offset: 1.5 }), /file 1: invalid offset/);
  refused(file({ offset: "10" }), /file 1: invalid offset/);
  refused(file({ ino: 2 ** 53 }), /file 1: invalid ino/);
  refused(file({ dev: null }), /file 1: invalid dev/);
  refused(file({ mark: "XYZ" }), /file 1: invalid mark/);
  refused(JSON.stringify({ v: 1, files: [APP, 5] }), /file 2: not an object/);
  const many = Array.from({ length: MAX_RESUME_ENTRIES + 1 }, () => APP);
  refused(encodeResumeRequest(many), /more than 10000 files/);
  refused(" ".repeat((1 << 20) + 1), /longer than/);
});

Deno.test("a position message names the target, the file's identity, offset, mark and path", () => {
  const position = { ...APP, path: "/var/log/with space.log", mark: "1234abcd" };
  const text = positionMessage("/var/log/*.log", position);
  assert.equal(
    text,
    ".syn position /var/log/*.log 2049 131 4096 1234abcd /var/log/with space.log",
  );
  assert.deepEqual(parsePositionMessage(text), { target: "/var/log/*.log", position });
});

Deno.test("parsePositionMessage takes only well-formed position messages", () => {
  for (
    const text of [
      ".syn capabilities escape-ac-v1",
      ".syn position /x 1 2 3 1234abcd",
      ".syn position /x 1 2 -3 1234abcd /x",
      ".syn position /x 1 2 3 nothex!! /x",
      ".syn position /x 1 2 99999999999999999999 1234abcd /x",
    ]
  ) assert.equal(parsePositionMessage(text), null, text);
});

Deno.test("markOf is FNV-1a over the bytes", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  assert.equal(markOf(bytes("")), "811c9dc5");
  assert.equal(markOf(bytes("a")), "e40c292c");
  assert.equal(markOf(bytes("foobar")), "bf9cf968");
});
