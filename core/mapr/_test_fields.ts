/** Test helper: what every log-format parser test starts from. */

export const UTC = { name: "UTC", offset: 0 };

/** The first line of the upstream mapr_testdata.log. */
export const STATS_LINE = "INFO|1002-071143|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|" +
  "currentConnections=0|lifetimeConnections=1";

/** The fields every parser adds (format_common.ts) for host `h1` in UTC, in their order. */
export const COMMON_FIELDS: readonly [string, string][] = [
  ["*", "*"],
  ["$empty", ""],
  ["$hostname", "h1"],
  ["$server", "h1"],
  ["$timezone", "UTC"],
  ["$timeoffset", "0"],
];
