import type { ParseArgsConfig } from 'node:util';
import { readUpState, runChannels, runGateway, runOperator, runRouter, runUp } from '../process/index.ts';
import { readAuthSettings, Roles, signLocalToken, type Role } from '../auth/index.ts';
import { runDemo } from './demo.ts';
import { repartitionCommand } from './repartition.ts';
import { campaignCommand, CommandUsageError, contactsCommand, dncCommand } from './outbound-commands.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

/** One `parley` subcommand: what `parley help` lists, what `parley <name> --help` prints, what it runs. */
export interface Command {
  name: string;
  /** One line for the list of commands. */
  summary: string;
  /** The rest of `parley <name> --help`: usage line(s), options, environment. */
  usage: string;
  options: Options;
  /** Whether it takes positional arguments (`parley campaign start NAME`). @default false */
  positionals?: boolean;
  run(values: Values, positionals: string[]): Promise<void>;
}

const data = { data: { type: 'string', default: process.env.PARLEY_DATA || '.parley' } } satisfies Options;
const dataHelp = '  --data DIR            the data folder of `parley up` (default: PARLEY_DATA, else .parley)';

// The admin commands that call the gateway's HTTP API (docs/campaigns.md §7).
const api = { ...data, tenant: { type: 'string', default: 'demo' } } satisfies Options;
const apiHelp = `  --tenant T            the tenant, when the token is signed locally (default: demo)
${dataHelp}

Environment: PARLEY_URL (the gateway) and PARLEY_TOKEN (a supervisor's or admin's token);
without them, the gateway of a running \`parley up\` and an admin token signed with its secret.`;

/** The command's own usage errors, pointed at its --help. */
const usage = (name: string, run: (v: Values, args: string[]) => Promise<void>) => async (v: Values, args: string[]) => {
  try {
    await run(v, args);
  } catch (err) {
    throw err instanceof CommandUsageError ? new UsageError(err.message, name) : err;
  }
};

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
without it), PARLEY_PUBLIC_URL (the gateway's URL, for e-mail attachment links).
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
    name: 'contacts',
    summary: 'imports a CSV file into a contact list, with a progress bar',
    usage: `Usage: parley contacts import FILE --list NAME [--country FR] [--map COLUMN=FIELD]…

Streams FILE (CSV, header row first) to the gateway; creates the list when it does not
exist. Prints rows per second while it goes, then what was imported and each rejected row
with its line and reason.

Options:
  --list NAME           the contact list's id (required)
  --country CC          the list's default country for numbers without a country code (ISO 3166, e.g. FR)
  --map COLUMN=FIELD    the file's COLUMN holds FIELD (phone, email, id, timeZone); repeatable
${apiHelp}`,
    options: { ...api, list: { type: 'string' }, country: { type: 'string' }, map: { type: 'string', multiple: true } },
    positionals: true,
    run: usage('contacts', contactsCommand),
  },
  {
    name: 'campaign',
    summary: 'starts, pauses, resumes, stops a campaign or shows its progress',
    usage: `Usage: parley campaign start|pause|resume|stop|status NAME [--watch]

Sends the campaign's actor the event and prints its status: state, processed of total,
sent, delivered, failed, skipped by reason. A Campaign resource's spec.paused and
spec.stopped still apply when they change (docs/campaigns.md §7).

Options:
  --watch               keep showing the progress (every second) until the campaign ends
${apiHelp}`,
    options: { ...api, watch: { type: 'boolean', default: false } },
    positionals: true,
    run: usage('campaign', campaignCommand),
  },
  {
    name: 'dnc',
    summary: 'do-not-contact lists: add addresses, import or export CSV',
    usage: `Usage: parley dnc add LIST ADDRESS… [--note TEXT] [--country US] [--kind sms]
       parley dnc import LIST FILE [--column NAME] [--country US]
       parley dnc export LIST [--out FILE]

add and import create the list when it does not exist (for --kind, else every channel kind).

Options:
  --note TEXT           kept with the added addresses
  --country CC          for phone numbers written without a country code
  --kind KIND           the channel kind a new list applies to (sms, email, whatsapp…)
  --column NAME         the file's address column (default: address, phone or email)
  --out FILE            where the export goes (default: standard output)
${apiHelp}`,
    options: { ...api, note: { type: 'string' }, country: { type: 'string' }, kind: { type: 'string' }, column: { type: 'string' }, out: { type: 'string' } },
    positionals: true,
    run: usage('dnc', dncCommand),
  },
  {
    name: 'repartition',
    summary: 'changes the partition count of the database (every router stopped)',
    usage: `Usage: parley repartition --partitions N [--force] [--data DIR]

Moves every conversation, agent, campaign, timer and outbox row to its partition under N.
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
