/**
 * `@jupyterlab/services` (npm; the version JupyterLab 4.6 ships, so the client JupyterLab,
 * the VS Code Jupyter extension and Node kernels clients use) with its default settings,
 * against a real hub and a real Jupyter server: only `baseUrl` (`…/user/<name>/`, absolute:
 * outside a browser there is no page to resolve a path against) and the token are set. In
 * Node the library uses the global fetch/Request/Headers and the `ws` package (its
 * dependency) for WebSockets. REST calls then carry `Authorization: token …`; the kernel WebSocket, which
 * cannot carry headers, carries the token as `?token=` (`appendToken`, on by default outside
 * a browser). A cell runs and its output arrives on IOPub.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  KernelManager,
  ServerConnection,
  type Kernel,
  type KernelMessage,
} from '@jupyterlab/services';
import { startClientTestHub, type ClientTestHub } from './hub.ts';

/** Resolves when the kernel's WebSocket is open; rejects after `ms` with the last status. */
function connected(kernel: Kernel.IKernelConnection, ms: number): Promise<void> {
  if (kernel.connectionStatus === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      kernel.connectionStatusChanged.disconnect(onChange);
      reject(
        new Error(
          `the kernel WebSocket (token in ?token=) did not connect in ${ms} ms: ${kernel.connectionStatus}`,
        ),
      );
    }, ms);
    const onChange = (_: unknown, status: Kernel.ConnectionStatus) => {
      if (status !== 'connected') return;
      clearTimeout(timer);
      kernel.connectionStatusChanged.disconnect(onChange);
      resolve();
    };
    kernel.connectionStatusChanged.connect(onChange);
  });
}

describe('@jupyterlab/services with its default settings', { timeout: 600_000 }, () => {
  let hub: ClientTestHub;

  before(async () => {
    hub = await startClientTestHub();
    await hub.startServer('alice');
  });

  after(() => hub.close());

  it('starts a kernel through the proxy and runs a cell', async () => {
    const token = await hub.token('alice', ['access:servers!user=alice'], 'jupyterlab services');
    const serverSettings = ServerConnection.makeSettings({
      baseUrl: `${hub.url}/user/alice/`,
      token,
    });
    assert.equal(serverSettings.appendToken, true, 'the default outside a browser');
    assert.equal(serverSettings.wsUrl, `${hub.url.replace(/^http/, 'ws')}/user/alice/`);

    const manager = new KernelManager({ serverSettings });
    let kernel: Kernel.IKernelConnection | undefined;
    try {
      await manager.ready;
      kernel = await manager.startNew({ name: 'python3' });
      // The services library retries a refused WebSocket forever; fail in bounded time.
      await connected(kernel, 30_000);
      const stream: string[] = [];
      const future = kernel.requestExecute({ code: 'print(1+1)' });
      future.onIOPub = (msg) => {
        if (msg.header.msg_type === 'stream') {
          stream.push((msg as KernelMessage.IStreamMsg).content.text);
        }
      };
      const reply = await future.done;
      assert.equal(reply.content.status, 'ok');
      assert.equal(stream.join(''), '2\n');
    } finally {
      await kernel?.shutdown();
      kernel?.dispose();
      manager.dispose();
    }
  });
});
