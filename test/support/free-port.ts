import { createServer } from 'node:net';

/**
 * Returns a TCP port that was free a moment ago on 127.0.0.1.
 *
 * The OS picks the port (listen on 0) and we release it immediately, so there
 * is a small window in which another process could grab it; callers that spawn
 * servers on it should retry on "address in use" (startNatsServer does).
 */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: could not determine the bound port'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
