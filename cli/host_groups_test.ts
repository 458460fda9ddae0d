import assert from "node:assert/strict";
import { groupHostNames, hostGroups, naturalCompare } from "./host_groups.ts";

const web = (from: number, to: number, port = 2222) =>
  Array.from(
    { length: to - from + 1 },
    (_, i) => `web${String(from + i).padStart(3, "0")}:${port}`,
  );

Deno.test("a run of numbered hosts becomes one range that keeps the zero padding", () => {
  assert.equal(groupHostNames(web(1, 412)), "web[001-412]:2222");
});

Deno.test("gaps in the numbers become a comma list inside the brackets", () => {
  assert.equal(
    groupHostNames([...web(200, 412), ...web(1, 100), "web150:2222"]),
    "web[001-100,150,200-412]:2222",
  );
});

Deno.test("ports that differ on one host range over the port", () => {
  const labels = Array.from({ length: 20 }, (_, i) => `127.0.0.1:${40001 + i}`);
  assert.equal(groupHostNames(labels), "127.0.0.1:[40001-40020]");
});

Deno.test("addresses that differ in their last byte range over it", () => {
  assert.equal(
    groupHostNames(["10.0.0.3:2222", "10.0.0.1:2222", "10.0.0.2:2222"]),
    "10.0.0.[1-3]:2222",
  );
});

Deno.test("different prefixes, domains and ports are listed as groups of their own", () => {
  assert.equal(
    groupHostNames([
      "db1.b.example:22",
      "web1.a.example:2222",
      "web2.a.example:2222",
      "db2.b.example:22",
      "web1.b.example:2222",
      "gateway:2222",
    ]),
    "db[1-2].b.example:22, gateway:2222, web[1-2].a.example:2222, web1.b.example:2222",
  );
});

Deno.test("hosts on two ports form one range per port", () => {
  assert.equal(
    groupHostNames([...web(1, 3, 2223), ...web(1, 3)]),
    "web[001-003]:2222, web[001-003]:2223",
  );
});

Deno.test("numbers written with and without padding are runs of their own", () => {
  assert.equal(groupHostNames(["h09:1", "h010:1", "h9:1", "h10:1"]), "h[9,09-10,010]:1");
});

Deno.test("IPv6 labels stay as they are", () => {
  assert.equal(groupHostNames(["[::2]:2222", "[::1]:2222"]), "[::1]:2222, [::2]:2222");
});

Deno.test("a single label is itself, and duplicates count once", () => {
  assert.equal(groupHostNames(["web7:2222", "web7:2222"]), "web7:2222");
  assert.deepEqual(hostGroups(["web7:2222", "web7:2222"]), [{ pattern: "web7:2222", size: 1 }]);
  assert.equal(groupHostNames([]), "");
});

Deno.test("past ten groups the rest is counted in servers", () => {
  const labels = Array.from({ length: 12 }, (_, i) => `host${"abcdefghijkl"[i]}:${i}`);
  labels.push("hostl:99");
  assert.equal(
    groupHostNames(labels),
    "hosta:0, hostb:1, hostc:2, hostd:3, hoste:4, hostf:5, hostg:6, hosth:7, hosti:8, hostj:9" +
      " and 3 more",
  );
});

Deno.test("natural order puts web9 before web10", () => {
  assert.deepEqual(["web10", "web9", "web1", "db"].sort(naturalCompare), [
    "db",
    "web1",
    "web9",
    "web10",
  ]);
});
