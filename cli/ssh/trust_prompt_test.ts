import assert from "node:assert/strict";
import { HostTrust, type HostTrustOptions } from "./trust_prompt.ts";
import type { TrustIO } from "./terminal_io.ts";
import { generateKey, type TestKey, withTempDir } from "./_test_keys.ts";

const QUESTION = "Do you want to trust these hosts?? (y=yes,a=all,n=no,d=details): ";

/** A scripted terminal: answers are handed out in order; null means end of input. */
class FakeTerminal implements TrustIO {
  output = "";
  constructor(private answers: (string | null)[]) {}
  readLine(): Promise<string | null> {
    if (this.answers.length === 0) throw new Error("unexpected prompt:\n" + this.output);
    return Promise.resolve(this.answers.shift()!);
  }
  write(text: string): Promise<void> {
    this.output += text;
    return Promise.resolve();
  }
  prompts(): number {
    return this.output.split(QUESTION).length - 1;
  }
}

interface Fixture {
  dir: string;
  path: string;
  keys: TestKey[];
  warnings: string[];
  trust(opts?: Partial<HostTrustOptions>): HostTrust;
}

async function withFixture(fn: (f: Fixture) => Promise<void>) {
  await withTempDir(async (dir) => {
    const keys = await Promise.all([generateKey(dir, "a"), generateKey(dir, "b")]);
    const warnings: string[] = [];
    const path = `${dir}/.ssh/known_hosts`;
    const made: HostTrust[] = [];
    const trust = (opts: Partial<HostTrustOptions> = {}) => {
      const t = new HostTrust({
        knownHostsPath: path,
        warn: (l) => warnings.push(l),
        quietMs: 20,
        ...opts,
      });
      made.push(t);
      return t;
    };
    try {
      await fn({ dir, path, keys, warnings, trust });
    } finally {
      for (const t of made) t.close();
    }
  });
}

async function writeKnown(path: string, text: string) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("a known host key is accepted without a prompt", async () => {
  await withFixture(async ({ path, keys: [a], trust }) => {
    await writeKnown(path, `[h]:2222 ${a!.publicLine}\n`);
    const io = new FakeTerminal([]);
    assert.equal(await trust({ io }).verify("h", 2222, a!.blob), true);
    assert.equal(io.output, "");
  });
});

Deno.test("a changed host key is refused with one clear line and no prompt", async () => {
  await withFixture(async ({ path, keys: [a, b], warnings, trust }) => {
    await writeKnown(path, `[h]:2222 ${a!.publicLine}\n`);
    const io = new FakeTerminal([]);
    const t = trust({ io, trustAll: true });
    assert.equal(await t.verify("h", 2222, b!.blob), false);
    assert.equal(await t.verify("h", 2222, b!.blob), false);
    assert.deepEqual(warnings, [
      "host key for h:2222 has CHANGED; refusing to connect " +
      "(remove the old entry from ~/.ssh/known_hosts if this is expected)",
    ]);
    assert.equal(io.output, "");
    assert.equal(await Deno.readTextFile(path), `[h]:2222 ${a!.publicLine}\n`);
  });
});

Deno.test("a revoked host key is refused", async () => {
  await withFixture(async ({ path, keys: [a], warnings, trust }) => {
    await writeKnown(path, `@revoked * ${a!.publicLine}\n`);
    assert.equal(await trust({ trustAll: true }).verify("h", 22, a!.blob), false);
    assert.match(warnings[0]!, /REVOKED/);
  });
});

Deno.test("trustAll trusts unknown hosts without a prompt and persists host and IP", async () => {
  await withFixture(async ({ path, keys: [a], trust }) => {
    const io = new FakeTerminal([]);
    assert.equal(
      await trust({ io, trustAll: true }).verify("web", 2222, a!.blob, "10.0.0.1"),
      true,
    );
    assert.equal(
      await Deno.readTextFile(path),
      `[web]:2222 ${a!.publicLine}\n[10.0.0.1]:2222 ${a!.publicLine}\n`,
    );
    assert.equal(await trust({ io }).verify("web", 2222, a!.blob), true);
  });
});

Deno.test("unknown hosts are batched into one prompt; yes trusts and persists them", async () => {
  await withFixture(async ({ path, keys: [a, b], trust }) => {
    const io = new FakeTerminal(["y"]);
    const t = trust({ io });
    const results = await Promise.all([
      t.verify("h1", 2222, a!.blob),
      t.verify("h2", 22, b!.blob),
      t.verify("h1", 2222, a!.blob),
    ]);
    assert.deepEqual(results, [true, true, true]);
    assert.equal(io.output, `Encountered 2 unknown hosts: 'h1:2222,h2:22'\n${QUESTION}`);
    assert.equal(
      await Deno.readTextFile(path),
      `[h1]:2222 ${a!.publicLine}\nh2 ${b!.publicLine}\n`,
    );
    assert.equal(await t.verify("h2", 22, b!.blob), true);
    assert.equal(io.prompts(), 1);
  });
});

Deno.test("a full batch prompts at once instead of waiting for quiet", async () => {
  await withFixture(async ({ keys: [a], trust }) => {
    const io = new FakeTerminal(["yes"]);
    const t = trust({ io, batchSize: 2, quietMs: 60_000 });
    const start = Date.now();
    assert.deepEqual(await Promise.all([t.verify("x", 1, a!.blob), t.verify("y", 1, a!.blob)]), [
      true,
      true,
    ]);
    assert.ok(Date.now() - start < 5_000);
  });
});

Deno.test("no refuses the batch for the rest of the run without persisting", async () => {
  await withFixture(async ({ path, keys: [a], trust }) => {
    const io = new FakeTerminal(["n"]);
    const t = trust({ io });
    assert.equal(await t.verify("h", 2222, a!.blob), false);
    assert.equal(await t.verify("h", 2222, a!.blob), false);
    assert.equal(io.prompts(), 1);
    await assert.rejects(() => Deno.stat(path), Deno.errors.NotFound);
  });
});

Deno.test("details prints the lines to add and asks again; other answers re-ask", async () => {
  await withFixture(async ({ keys: [a], trust }) => {
    const io = new FakeTerminal(["d", "maybe", "y"]);
    assert.equal(await trust({ io }).verify("h", 2222, a!.blob, "127.0.0.1"), true);
    const prompt = `Encountered 1 unknown hosts: 'h:2222'\n${QUESTION}`;
    const details = `[h]:2222 ${a!.publicLine}\n[127.0.0.1]:2222 ${a!.publicLine}\n`;
    assert.equal(io.output, prompt + details + prompt + prompt);
  });
});

Deno.test("all trusts this batch and every later unknown host without asking", async () => {
  await withFixture(async ({ keys: [a, b], trust }) => {
    const io = new FakeTerminal(["a"]);
    const t = trust({ io });
    assert.equal(await t.verify("h1", 22, a!.blob), true);
    assert.equal(await t.verify("h2", 22, b!.blob), true);
    assert.equal(io.prompts(), 1);
  });
});

Deno.test("without terminal input unknown hosts are refused with a hint", async () => {
  await withFixture(async ({ keys: [a, b], warnings, trust }) => {
    const io = new FakeTerminal([null]);
    const t = trust({ io });
    assert.equal(await t.verify("h1", 2222, a!.blob), false);
    assert.equal(await t.verify("h2", 2222, b!.blob), false);
    assert.deepEqual(warnings, [
      "unknown host key for h1:2222; run with --trustAllHosts or add it to ~/.ssh/known_hosts",
      "unknown host key for h2:2222; run with --trustAllHosts or add it to ~/.ssh/known_hosts",
    ]);
    assert.equal(io.prompts(), 1);
  });
});

Deno.test("onPrompt brackets the prompt so log output can pause", async () => {
  await withFixture(async ({ keys: [a], trust }) => {
    const calls: boolean[] = [];
    const io = new FakeTerminal(["y"]);
    await trust({ io, onPrompt: (active) => calls.push(active) }).verify("h", 1, a!.blob);
    assert.deepEqual(calls, [true, false]);
  });
});

Deno.test("known key types come from the known_hosts file", async () => {
  await withFixture(async ({ path, keys: [a], trust }) => {
    await writeKnown(path, `[h]:2222 ${a!.publicLine}\n`);
    assert.deepEqual(await trust().knownKeyTypes("h", 2222), ["ssh-ed25519"]);
  });
});
