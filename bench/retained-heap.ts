import WebSocket from 'ws';

/** A process's heap once collected: all of it, and what compiled code takes of it. */
export interface RetainedHeap {
  /** Bytes used in every heap space. */
  used: number;
  /** Bytes of compiled code (`code_space` and `code_large_object_space`): it grows while code warms up, not with the data a process holds. */
  code: number;
}

/**
 * The heap a Node process retains: collected first, then read, through its inspector
 * (the Chrome DevTools Protocol: `HeapProfiler.collectGarbage`, then the heap spaces'
 * statistics, evaluated there). The process runs with `--inspect=127.0.0.1:0` and has
 * printed where its inspector listens (`inspectorUrlOf`). What a process's own metrics
 * report without a collection counts garbage not collected yet, which swings by tens of
 * megabytes from one reading to the next.
 */
export async function retainedHeap(inspectorUrl: string): Promise<RetainedHeap> {
  const socket = new WebSocket(inspectorUrl);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let next = 0;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++next;
      const onMessage = (data: WebSocket.RawData) => {
        // Text frames arrive as one Buffer (ws's default binary type).
        const reply = JSON.parse((data as Buffer).toString('utf8')) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        if (reply.id !== id) return;
        socket.off('message', onMessage);
        if (reply.error) reject(new Error(`inspector ${method}: ${reply.error.message}`));
        else resolve(reply.result ?? {});
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    // The console's command-line API gives `require`, whatever the process's module system.
    const evaluated = await call('Runtime.evaluate', {
      expression: "JSON.stringify(require('v8').getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]))",
      includeCommandLineAPI: true,
      returnByValue: true,
    });
    const result = evaluated.result as { value?: string } | undefined;
    if (typeof result?.value !== 'string') throw new Error(`inspector: no heap statistics in ${JSON.stringify(evaluated).slice(0, 300)}`);
    const spaces = JSON.parse(result.value) as [string, number][];
    return {
      used: spaces.reduce((sum, [, size]) => sum + size, 0),
      code: spaces.filter(([name]) => name.startsWith('code_')).reduce((sum, [, size]) => sum + size, 0),
    };
  } finally {
    socket.close();
  }
}

/** Where a process started with `--inspect=127.0.0.1:0` listens, from what it printed to stderr. */
export function inspectorUrlOf(stderr: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
}
