import type { Gateway } from '../gateway/index.ts';
import type { Readiness } from '../observability/index.ts';

/**
 * The gateway's dependencies as an ops server's `/readyz` checks: `nats` and `database`,
 * each `true` or why not (the gateway reports failures as `"<dependency>: <reason>"`).
 */
export async function gatewayReadiness(gateway: Gateway): Promise<Readiness> {
  const checks: Readiness = { nats: true, database: true };
  for (const failure of await gateway.unready()) {
    const at = failure.indexOf(': ');
    checks[at < 0 ? failure : failure.slice(0, at)] = at < 0 ? 'unavailable' : failure.slice(at + 2);
  }
  return checks;
}
