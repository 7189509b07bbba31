/**
 * Preloaded (`node --import`) into a process that runs the real Azure Monitor distro, so nothing it does
 * leaves this machine: every TCP connection to an address outside the loopback range is refused before
 * any packet (or DNS look-up) is sent, and named on stderr as `loopback-only: refused <host>:<port>`.
 * The distro's resource detection asks the Azure VM metadata endpoint (169.254.169.254) at start; the
 * test reads these lines to prove that this is all that was attempted.
 */
import net from 'node:net';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;

type ConnectArgs = Parameters<net.Socket['connect']>;
const connect = net.Socket.prototype.connect as (this: net.Socket, ...args: unknown[]) => net.Socket;

/** The destination of a connect call, in any of its forms (http and tls pass an already-normalised array). */
function destination(args: unknown[]): { host: string; port: unknown } | { path: string } {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; port?: unknown; path?: string };
    if (typeof options.path === 'string') return { path: options.path };
    return { host: options.host ?? 'localhost', port: options.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
}

net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]): net.Socket {
  const to = destination(args);
  if ('host' in to && !LOOPBACK.test(to.host.replace(/^\[|\]$/g, ''))) {
    process.stderr.write(`loopback-only: refused ${to.host}:${String(to.port)}\n`);
    const refused = Object.assign(new Error(`connect ECONNREFUSED ${to.host} (loopback only)`), { code: 'ECONNREFUSED' });
    process.nextTick(() => this.destroy(refused));
    return this;
  }
  return connect.apply(this, args as ConnectArgs);
} as typeof net.Socket.prototype.connect;
