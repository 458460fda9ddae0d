/** The libc calls live in core (core/libc.ts); the server's modules import them from here. */
export * from "../../core/libc.ts";
