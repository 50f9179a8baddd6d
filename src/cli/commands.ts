import type { ParseArgsConfig } from 'node:util';
import { readUpState, runChannels, runGateway, runOperator, runRouter, runUp } from '../process/index.ts';
import { readAuthSettings, Roles, signLocalToken, type Role } from '../auth/index.ts';
import { runDemo } from './demo.ts';
import { repartitionCommand } from './repartition.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

/** One `parley` subcommand: what `parley help` lists, what `parley <name> --help` prints, what it runs. */
export interface Command {
  name: string;
  /** One line for the list of commands. */
  summary: string;
  /** The rest of `parley <name> --help`: usage line(s), options, environment. */
  usage: string;
  options: Options;
  run(values: Values): Promise<void>;
}

const data = { data: { type: 'string', default: process.env.PARLEY_DATA || '.parley' } } satisfies Options;
const dataHelp = '  --data DIR            the data folder of `parley up` (default: PARLEY_DATA, else .parley)';

export const commands: readonly Command[] = [
  {
    name: 'up',
    summary: 'every role in one process on embedded defaults (what `make up` runs)',
    usage: `Usage: parley up [--data DIR]

Starts a nats-server (unless NATS_URL is set), an embedded PostgreSQL (PGlite, unless
DATABASE_URL is set), a router and the gateway; syncs PARLEY_CONFIG (default: examples).
Writes <data>/up.json for \`parley demo\` and \`parley token\`; Ctrl-C stops it and removes it.

Options:
${dataHelp}`,
    options: data,
    run: (v) => runUp({ dataDir: v.data as string }),
  },
  {
    name: 'router',
    summary: 'a routing node of the cluster',
    usage: `Usage: parley router

Environment: NATS_URL, DATABASE_URL=postgres://… (required), PARLEY_NODE_ID,
PARLEY_PARTITIONS, PARLEY_LEASE_MS, PARLEY_CONFIG, PARLEY_HOST, PARLEY_OPS_PORT.
Refuses to start when NATS and the database belong to different clusters.`,
    options: {},
    run: () => runRouter(),
  },
  {
    name: 'gateway',
    summary: 'the agent API (HTTP + WebSocket)',
    usage: `Usage: parley gateway

Environment: NATS_URL, DATABASE_URL=postgres://… (required, the routers' database),
PARLEY_AUTH_SECRET (required), PARLEY_HOST, PARLEY_PORT.`,
    options: {},
    run: () => runGateway(),
  },
  {
    name: 'channels',
    summary: 'provider webhooks, web messaging and e-mail in; provider send APIs, sockets and SMTP out',
    usage: `Usage: parley channels

Environment: NATS_URL, DATABASE_URL=postgres://… (required, the routers' database),
PARLEY_CHANNELS_PORT (webhooks, default 8081), PARLEY_CHANNELS_PUBLIC_URL (the URL providers
call), PARLEY_SECRETS_FILE (else Kubernetes Secrets), PARLEY_CONFIG, PARLEY_HOST, PARLEY_OPS_PORT,
PARLEY_WEB_SECRET (web messaging, off without it), PARLEY_SMTP_PORT (the SMTP listener, off
without it), PARLEY_GATEWAY_PUBLIC_URL (e-mail attachment links).
Webhook URL of a Channel: <public URL>/webhooks/<namespace>/<channel>; the widget:
<public URL>/web/v1/widget.js (docs/channels.md).`,
    options: {},
    run: () => runChannels(),
  },
  {
    name: 'operator',
    summary: 'the Kubernetes operator: Channel, Queue, Campaign → configuration bucket',
    usage: `Usage: parley operator

Environment: NATS_URL, KUBECONFIG (else ~/.kube/config, else the pod's service account),
POD_NAMESPACE, POD_NAME, PARLEY_WATCH_NAMESPACES, PARLEY_HOST, PARLEY_OPS_PORT.`,
    options: {},
    run: () => runOperator(),
  },
  {
    name: 'demo',
    summary: 'a customer and an agent talk through a running `parley up`',
    usage: `Usage: parley demo [--tenant demo] [--channel whatsapp] [--data DIR]

Options:
  --tenant T            the tenant (namespace) of the channel (default: demo)
  --channel NAME        the channel the customer writes on (default: whatsapp)
${dataHelp}`,
    options: { ...data, tenant: { type: 'string', default: 'demo' }, channel: { type: 'string', default: 'whatsapp' } },
    run: (v) => runDemo({ dataDir: v.data as string, tenant: v.tenant as string, channel: v.channel as string }),
  },
  {
    name: 'token',
    summary: 'prints a gateway token signed with the local secret',
    usage: `Usage: parley token --sub ID [--tenant demo] [--role agent|supervisor|admin] [--ttl 28800] [--data DIR]

Signs with PARLEY_AUTH_SECRET, else with the secret of a running \`parley up\`.

Options:
  --sub ID              the agent id or user name (required)
  --tenant T            the tenant (default: demo)
  --role ROLE           ${Roles.join(', ')} (default: agent)
  --ttl SECONDS         lifetime (default: 28800)
${dataHelp}`,
    options: { ...data, tenant: { type: 'string', default: 'demo' }, sub: { type: 'string' }, role: { type: 'string', default: 'agent' }, ttl: { type: 'string', default: '28800' } },
    async run(v) {
      if (!v.sub) throw new UsageError('token needs --sub (the agent id or user name)', 'token');
      if (!Roles.includes(v.role as Role)) throw new UsageError(`--role must be one of ${Roles.join(', ')}`, 'token');
      const ttl = Number(v.ttl);
      if (!Number.isInteger(ttl) || ttl <= 0) throw new UsageError(`--ttl must be a positive number of seconds, not "${String(v.ttl)}"`, 'token');
      const secret = process.env.PARLEY_AUTH_SECRET || (await readUpState(v.data as string)).authSecret;
      // Tokens carry the issuer and audience the gateway checks, when it is set to check them.
      const { issuer, audience } = readAuthSettings();
      console.log(await signLocalToken(secret, { sub: v.sub as string, tenant: v.tenant as string, role: v.role as Role }, ttl, { issuer, audience: audience[0] }));
    },
  },
  {
    name: 'repartition',
    summary: 'changes the partition count of the database (every router stopped)',
    usage: `Usage: parley repartition --partitions N [--force] [--data DIR]

Moves every conversation, agent, timer and outbox row to its partition under N.
Uses DATABASE_URL, else the data of \`parley up\`; refuses while routers are registered
in NATS (NATS_URL): stop every router first.

Options:
  --partitions N        the new partition count (required)
  --force               go on even though routers seem to be registered
${dataHelp}`,
    options: { ...data, partitions: { type: 'string' }, force: { type: 'boolean', default: false } },
    run: (v) => repartitionCommand({ partitions: v.partitions as string | undefined, force: v.force as boolean, dataDir: v.data as string }),
  },
];

/** Wrong arguments: printed with a pointer to the command's `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}
