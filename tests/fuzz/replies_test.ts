import { Rng } from "./mutate.ts";
import { repliesTarget } from "./replies.ts";

// A failing case throws (checks.ts Failure, or the exception the session let out) with its seed.
Deno.test("the client's session takes 500 random server replies without an exception", async () => {
  for (let seed = 0; seed < 500; seed++) {
    const input = repliesTarget.input(new Rng(seed));
    await Promise.resolve(repliesTarget.run(input as never, { tree: "" })).catch((err: Error) => {
      throw new Error(`replies seed ${seed}: ${err.message}`);
    });
  }
});
