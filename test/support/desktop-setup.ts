import type { Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { ParleyClient, signToken, startGateway, type AgentProfile, type Gateway, type GatewayOptions, type Role } from '../../src/gateway/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import type { RunningParley } from './parley.ts';
import { waitFor } from './services.ts';

/**
 * What the browser tests of the web app share (test/web): a gateway serving the built app
 * with the local sign-in, agents configured through the API, and signing in as a person does.
 */

/** A quiet gateway on a free port, on `parley`'s NATS, database and configuration, serving the app in `appDir`. */
export function startDesktopGateway(parley: RunningParley, secret: string, appDir: string, more: Partial<GatewayOptions> = {}): Promise<Gateway> {
  return startGateway({
    nc: parley.nc,
    db: parley.store.db,
    secret,
    port: 0,
    registry: new Registry(),
    config: parley.config,
    localLogin: { secret },
    webAppDir: appDir,
    logger: createLogger({}, { level: 'warn' }),
    ...more,
  });
}

/** Configures the agents as an admin and waits until the last one reads back (the router applied them). */
export async function configureAgents(gatewayUrl: string, secret: string, tenant: string, agents: Record<string, AgentProfile>): Promise<ParleyClient> {
  const admin = new ParleyClient({ baseUrl: gatewayUrl, token: signToken(secret, { sub: 'ops', tenant, role: 'admin' }) });
  for (const [id, profile] of Object.entries(agents)) await admin.configureAgent(id, profile);
  const last = Object.keys(agents).at(-1) ?? '';
  await waitFor(async () => ((await admin.getAgent(last).catch(() => undefined)) ? true : undefined), { what: 'the agents to exist' });
  return admin;
}

/** Opens the app and signs in with the local form (tenant, user, role), until it greets the user. */
export async function signInLocally(page: Page, gatewayUrl: string, tenant: string, sub: string, role: Role): Promise<void> {
  await page.goto(`${gatewayUrl}/app/`);
  await page.getByLabel('Tenant').fill(tenant);
  await page.getByLabel('Agent id or user name').fill(sub);
  await page.getByLabel('Role').selectOption(role);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText(`Signed in as ${sub}`).waitFor();
}
