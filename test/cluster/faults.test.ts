/**
 * The stalling proxy against a local echo server: bytes pass; `pause()` holds every connection
 * open at that moment (both open, nothing through) while a new connection passes; `resume()`
 * delivers what was held.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { startStallingProxy } from './faults.ts';

/** Resolves with the next data the socket receives, or undefined after `ms`. */
function nextData(socket: Socket, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('data', onData);
      resolve(undefined);
    }, ms);
    const onData = (chunk: Buffer): void => {
      clearTimeout(timer);
      resolve(chunk.toString());
    };
    socket.once('data', onData);
  });
}

test('pause stalls the open connections only; resume delivers what was held', async () => {
  const echo = createServer((s) => s.pipe(s));
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  const proxy = await startStallingProxy({
    host: '127.0.0.1',
    port: (echo.address() as AddressInfo).port,
  });
  const connect = async (): Promise<Socket> => {
    const s = createConnection({ host: '127.0.0.1', port: proxy.port });
    await once(s, 'connect');
    return s;
  };
  const first = await connect();
  try {
    first.write('a');
    assert.equal(await nextData(first, 2000), 'a');
    proxy.pause();
    const held = nextData(first, 300);
    first.write('b');
    assert.equal(await held, undefined, 'nothing passes on a stalled connection');
    assert.equal(first.destroyed, false, 'it stays open');
    const second = await connect();
    second.write('c');
    assert.equal(await nextData(second, 2000), 'c', 'a new connection passes');
    second.destroy();
    const delivered = nextData(first, 2000);
    proxy.resume();
    assert.equal(await delivered, 'b');
  } finally {
    first.destroy();
    await proxy.close();
    echo.close();
  }
});
