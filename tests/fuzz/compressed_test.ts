import { Rng } from "./mutate.ts";
import { compressedTarget } from "./compressed.ts";

// A failing case throws (checks.ts Failure, or the exception a decoder let out) with its seed.
Deno.test("every decoder takes 150 random whole and damaged gzip and zstd streams", async () => {
  for (let seed = 0; seed < 150; seed++) {
    const input = compressedTarget.input(new Rng(seed));
    await Promise.resolve(compressedTarget.run(input as never, { tree: "" })).catch(
      (err: Error) => {
        throw new Error(`compressed seed ${seed}: ${err.message}`);
      },
    );
  }
});
