import { runGateway } from '../src/process/index.ts';

runGateway().catch((err: unknown) => {
  console.error(err instanceof Error ? `parley gateway: ${err.message}` : err);
  process.exit(1);
});
