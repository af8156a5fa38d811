// Helpers shared by the SDK's test files (not exported by the package): an address where
// nothing listens, for the connection-failure cases.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port nothing listens on: one the system just handed out and got back. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
