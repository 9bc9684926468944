/**
 * A loopback port nobody listens on right now, found by letting the kernel pick one (bind to
 * port 0) and releasing it. Another process may take it before Jupyter binds it; Jupyter then
 * exits (we pass `port_retries=0`) and the start fails with its log tail rather than the server
 * silently listening elsewhere. JupyterHub's `random_port` makes the same trade.
 */
import { createServer } from 'node:net';

export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}
