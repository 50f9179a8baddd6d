import { runChannels } from '../src/process/index.ts';

runChannels().catch((err: unknown) => {
  console.error(err instanceof Error ? `parley channels: ${err.message}` : err);
  process.exit(1);
});
