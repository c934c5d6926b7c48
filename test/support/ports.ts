// Ports with nothing bound to them right now: bound on port 0 and released at once, so a test can hand a board a
// port of its own, or connect to one where nothing listens. Loopback by default; the device suite asks for 0.0.0.0,
// because mcsim binds its sockets on every address.
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

export function freeTcpPort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export function freeUdpPort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
