import { createServer, type AddressInfo } from "node:net";

/** A loopback port nothing listens on right now (the kit's PUBLIC_BASE_URL must name the port before it listens). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
