/**
 * `npx tsx test/support/kube/install-kubectl.ts`: makes sure a kubectl is
 * available for the kube tests (see kubectl.ts) and prints its path.
 */
import { ensureKubectl } from './kubectl.ts';

console.log(await ensureKubectl());
