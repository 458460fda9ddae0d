import { BenchClient, BenchServer, identities } from "./bench/ssh_server.ts";
const base = await Deno.makeTempDir({ prefix: "probe-" });
await Deno.chmod(base, 0o755);
const ids = await identities();
const client = await BenchClient.create(base, ids);
const server = await BenchServer.start(base, ids, client.publicKey);
for (const p of ["dcat", "dgrep", "dmap"]) {
  const l = await client.launcher(p, [`127.0.0.1:${server.port}`]);
  await Deno.symlink(l, `/tmp/p2/${p}`).catch(() => {});
}
console.log("ready", server.port, server.pid, base);
await new Promise(() => {});
