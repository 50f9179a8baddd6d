/**
 * `npm run bench -- <name>`: runs one benchmark; its last line of output is one JSON
 * object with the results and the baseline measured in the same run.
 */
const benchmarks: Record<string, () => Promise<unknown>> = {
  routing: async () => (await import('./routing.ts')).runRoutingBenchmark(),
  cluster: async () => (await import('./cluster.ts')).runClusterBenchmark(),
  tracing: async () => (await import('./tracing.ts')).runTracingBenchmark(),
  gateway: async () => (await import('./gateway.ts')).runGatewayBenchmark(),
  contacts: async () => (await import('./contacts.ts')).runContactsBenchmark(),
  reports: async () => (await import('./reports.ts')).runReportsBenchmark(),
  campaign: async () => (await import('./campaign.ts')).runCampaignBenchmark(),
  channels: async () => (await import('./channels.ts')).runChannelsBenchmark(),
  'actor-memory': async () => (await import('./actor-memory.ts')).runActorMemoryBenchmark(),
};

const name = process.argv[2];
const bench = name ? benchmarks[name] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(benchmarks).join('|')}>`);
  process.exit(2);
}
console.log(JSON.stringify(await bench()));
