/**
 * What the dialer (cli/ssh/dialer.ts) needs to connect with ssh2, in one module it loads only
 * when a connection needs ssh2: key files only ssh2 reads, servers the native client cannot
 * serve, `DTAIL_SSH_CLIENT=ssh2`.
 */
export { connect } from "./connect.ts";
export { ssh2Link } from "./ssh2_link.ts";
export { tunnelStream } from "./tunnel_stream.ts";
export { installChaChaPoly } from "../../ssh/ssh2_chacha_poly.ts";
