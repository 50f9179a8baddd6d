import { runOperator } from '../src/process/run-operator.ts';

runOperator().catch((err: unknown) => {
  console.error(err instanceof Error ? `parley operator: ${err.message}` : err);
  process.exit(1);
});
