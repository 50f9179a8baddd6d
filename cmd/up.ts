import { runUp } from '../src/process/index.ts';

runUp().catch((err: unknown) => {
  console.error(err instanceof Error ? `parley up: ${err.message}` : err);
  process.exit(1);
});
