/**
 * Preload (`node --import <this file>`) for test and benchmark processes that run
 * libraries with built-in endpoints of their own: every TCP connection to
 * anything but a loopback address fails at once, before any DNS lookup, and
 * is reported on stderr. The Azure Monitor distro, for one, asks the Azure
 * VM metadata address (169.254.169.254) about the machine whatever it is
 * configured with, and its SDK statistics go to Microsoft's own ingestion
 * hosts; in a test nothing may leave the machine.
 */
import net from "node:net";

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|\[::1\]|::ffff:127(?:\.\d{1,3}){3})$/i;

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
const original = net.Socket.prototype.connect as unknown as Connect;

/** The host a `connect(...)` call aims at; undefined for a local socket path. */
function hostOf(args: readonly unknown[]): string | undefined {
  const [first, second] = args;
  if (Array.isArray(first)) return hostOf(first);
  if (typeof first === "object" && first !== null) {
    const options = first as { host?: unknown; path?: unknown };
    if (typeof options.path === "string") return undefined;
    return typeof options.host === "string" ? options.host : "localhost";
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) return typeof second === "string" ? second : "localhost";
  return undefined;
}

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
  const host = hostOf(args);
  if (host === undefined || LOOPBACK.test(host)) return original.apply(this, args);
  process.stderr.write(`loopback-only: refused a connection to ${host}\n`);
  const error = Object.assign(new Error(`connect ECONNREFUSED ${host} (loopback-only test guard)`), { code: "ECONNREFUSED" });
  process.nextTick(() => this.destroy(error));
  return this;
} as typeof net.Socket.prototype.connect;
