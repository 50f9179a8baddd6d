import { runRouter } from '../src/process/run-router.ts';

runRouter().catch((err: unknown) => {
  console.error(err instanceof Error ? `parley router: ${err.message}` : err);
  process.exit(1);
});
