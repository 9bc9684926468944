/**
 * Makes the API server reachable from pods at the address its `kubernetes` EndpointSlice
 * advertises (the harness's bridge address): the test API server listens on loopback only, and
 * pods, which have their own network namespaces, reach only the bridge. A kubelet's node has
 * the same need met by the cluster network; here a TCP relay meets it, TLS untouched end to end.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { TestCluster } from '../../cluster/harness.ts';
import { kubectlOk } from '../operator/helpers.ts';

export interface ApiForwarder {
  /** `https://<bridge address>:<port>`, as pods reach the API server. */
  readonly url: string;
  close(): Promise<void>;
}

export async function forwardApiServerToPods(cluster: TestCluster): Promise<ApiForwarder> {
  const slices = JSON.parse(
    await kubectlOk(cluster, [
      'get',
      'endpointslices',
      '-n',
      'default',
      '-l',
      'kubernetes.io/service-name=kubernetes',
      '-o',
      'json',
    ]),
  ) as { items: { endpoints: { addresses: string[] }[]; ports: { port: number }[] }[] };
  const address = slices.items[0]?.endpoints[0]?.addresses[0];
  const port = slices.items[0]?.ports[0]?.port;
  if (address === undefined || port === undefined)
    throw new Error('the kubernetes EndpointSlice names no address');
  const target = new URL(cluster.server);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      resolve();
    });
  });
  return {
    url: `https://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
