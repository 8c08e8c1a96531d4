/**
 * A loopback listener for the local stand-ins that can be taken down and
 * brought back on the same port, so tests can simulate an outage of Entra,
 * Graph or the identity endpoint without the URLs (and issuers) changing.
 *
 * It binds both 127.0.0.1 and ::1 on one port: URLs say `localhost`, and
 * clients resolve that to either family depending on the platform. Nothing
 * binds a non-loopback address.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface LoopbackListenerOptions {
  readonly handler: RequestHandler;
  /** PEM certificate and key; without them the listener speaks plain HTTP. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** 0 (default) picks a free port on first start; later starts reuse it. */
  readonly port?: number;
}

export interface LoopbackListener {
  /** The port, known after the first `start()`. */
  readonly port: number;
  /** `https://localhost:<port>` or `http://localhost:<port>`, no trailing slash. */
  readonly origin: string;
  readonly listening: boolean;
  /** Starts listening (again); resolves once both loopback addresses accept. */
  start(): Promise<void>;
  /** Stops accepting and drops open connections, so clients see an outage at once. */
  stop(): Promise<void>;
}

const LOOPBACK_ADDRESSES = ["127.0.0.1", "::1"] as const;

/**
 * Creates (but does not start) a restartable loopback listener.
 *
 * @example
 * const listener = createLoopbackListener({ handler, tls });
 * await listener.start();          // picks a port
 * await listener.stop();           // outage
 * await listener.start();          // same port again
 */
export function createLoopbackListener(options: LoopbackListenerOptions): LoopbackListener {
  let port = options.port ?? 0;
  let servers: Server[] = [];
  const sockets = new Set<Socket>();
  const scheme = options.tls === undefined ? "http" : "https";

  const newServer = (): Server => {
    const server =
      options.tls === undefined
        ? createHttpServer(options.handler)
        : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, options.handler);
    server.on("connection", (socket: Socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    return server;
  };

  const listenOn = (server: Server, host: string, wanted: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once("error", onError);
      server.listen(wanted, host, () => {
        server.off("error", onError);
        const address = server.address();
        if (address === null || typeof address === "string") reject(new Error("listener has no TCP address"));
        else resolve(address.port);
      });
    });

  const closeAll = async (): Promise<void> => {
    const closing = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    servers = [];
    await Promise.all(closing);
  };

  const startOnce = async (): Promise<void> => {
    const first = newServer();
    servers.push(first);
    const chosen = await listenOn(first, LOOPBACK_ADDRESSES[0], port);
    const second = newServer();
    try {
      await listenOn(second, LOOPBACK_ADDRESSES[1], chosen);
      servers.push(second);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // No IPv6 loopback on this machine: IPv4 alone is all clients can use anyway.
      if (code !== "EADDRNOTAVAIL" && code !== "EAFNOSUPPORT") {
        await closeAll();
        throw error;
      }
    }
    port = chosen;
  };

  return {
    get port() {
      return port;
    },
    get origin() {
      return `${scheme}://localhost:${port}`;
    },
    get listening() {
      return servers.length > 0;
    },
    async start() {
      if (servers.length > 0) return;
      const pickingFreePort = port === 0;
      for (let attempt = 0; ; attempt++) {
        try {
          await startOnce();
          return;
        } catch (error) {
          // A free IPv4 port can be taken on ::1 by someone else; pick another.
          if (!pickingFreePort || attempt >= 5 || (error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
          port = 0;
        }
      }
    },
    async stop() {
      await closeAll();
    },
  };
}
