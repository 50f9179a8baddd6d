import { parseArgs } from 'node:util';
import { readUpState, runGateway, runOperator, runRouter, runUp } from '../process/index.ts';
import { Roles, signToken, type Role } from '../gateway/index.ts';
import { runDemo } from './demo.ts';
import { repartitionCommand } from './repartition.ts';

const usage = `parley — open routing for contact-center messaging

Usage:
  parley up                      every role in one process on embedded defaults
  parley router                  a routing node (NATS_URL, DATABASE_URL, PARLEY_CONFIG)
  parley gateway                 the agent API (NATS_URL, DATABASE_URL, PARLEY_AUTH_SECRET)
  parley operator                the Kubernetes operator (NATS_URL, KUBECONFIG or in-cluster, POD_NAMESPACE)
  parley demo [--tenant demo] [--channel whatsapp]
                                 a customer and an agent talk through a running \`parley up\`
  parley token --tenant T --sub ID [--role agent|supervisor|admin] [--ttl 28800]
                                 prints a gateway token signed with the local secret
  parley repartition --partitions N [--force]
                                 changes the partition count of the store (DATABASE_URL, else the
                                 data of \`parley up\`); refuses while routers are registered in
                                 NATS (NATS_URL): stop every router first
Options:
  --data DIR                     where \`parley up\` keeps its data (default .parley, or PARLEY_DATA)
  --force                        repartition even though routers seem to be registered
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      data: { type: 'string', default: process.env.PARLEY_DATA ?? '.parley' },
      tenant: { type: 'string', default: 'demo' },
      channel: { type: 'string', default: 'whatsapp' },
      sub: { type: 'string' },
      role: { type: 'string', default: 'agent' },
      ttl: { type: 'string', default: '28800' },
      partitions: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  switch (command) {
    case 'up':
      return runUp({ dataDir: values.data });
    case 'router':
      return runRouter();
    case 'gateway':
      return runGateway();
    case 'operator':
      return runOperator();
    case 'demo':
      return runDemo({ dataDir: values.data, tenant: values.tenant, channel: values.channel });
    case 'token': {
      if (!values.sub) throw new Error('token needs --sub (the agent id or user name)');
      if (!Roles.includes(values.role as Role)) throw new Error(`--role must be one of ${Roles.join(', ')}`);
      const secret = process.env.PARLEY_AUTH_SECRET || (await readUpState(values.data)).authSecret;
      console.log(signToken(secret, { sub: values.sub, tenant: values.tenant, role: values.role as Role }, Number(values.ttl)));
      return;
    }
    case 'repartition':
      return repartitionCommand({ partitions: values.partitions, force: values.force, dataDir: values.data });
    case undefined:
    case 'help':
    case '--help':
      console.log(usage);
      return;
    default:
      throw new Error(`unknown command "${command}"\n\n${usage}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`parley: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
