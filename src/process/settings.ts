/**
 * Process settings from the environment, resolved once with their defaults.
 *
 * | variable              | meaning                                              | default                   |
 * |-----------------------|------------------------------------------------------|---------------------------|
 * | NATS_URL              | NATS server(s), comma-separated                      | started by `up`; else nats://127.0.0.1:4222 |
 * | DATABASE_URL          | postgres://… or pglite:<dir>                          | `up`: pglite:.parley/pglite |
 * | PARLEY_CONFIG         | folder of resource YAML synced into the config bucket | `up`: examples; router: none (the operator writes the bucket) |
 * | PARLEY_HOST           | address the HTTP servers bind                        | 127.0.0.1                 |
 * | PARLEY_PORT           | gateway port                                         | 8080                      |
 * | PARLEY_OPS_PORT       | router's /metrics, /healthz, /readyz port            | 9090                      |
 * | PARLEY_AUTH_SECRET    | HS256 secret for gateway tokens                      | `up`: generated per data dir |
 * | PARLEY_DATA           | where `up` keeps its data and state file             | .parley                   |
 * | PARLEY_LOG_LEVEL      | debug, info, warn, error                             | info                      |
 */
export interface Settings {
  natsUrl: string | undefined;
  databaseUrl: string | undefined;
  configDir: string | undefined;
  host: string;
  port: number;
  opsPort: number;
  authSecret: string | undefined;
  dataDir: string;
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    natsUrl: env.NATS_URL || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    configDir: env.PARLEY_CONFIG || undefined,
    host: env.PARLEY_HOST || '127.0.0.1',
    port: port(env, 'PARLEY_PORT', 8080),
    opsPort: port(env, 'PARLEY_OPS_PORT', 9090),
    authSecret: env.PARLEY_AUTH_SECRET || undefined,
    dataDir: env.PARLEY_DATA || '.parley',
  };
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new SettingsError(`${name}=${raw} is not a port number`);
  return value;
}
