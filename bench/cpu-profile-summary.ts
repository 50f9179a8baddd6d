import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 `.cpuprofile` (`node --cpu-prof`, e.g. the routers of the cluster
 * benchmark with PARLEY_ROUTER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"): the top
 * functions by self and by total time, and self time by module (an npm package, or a
 * folder of src/). `--from S --to S` keeps the samples of that window (seconds after
 * the profile started), e.g. the burst only.
 *
 *   npx tsx bench/cpu-profile-summary.ts FILE.cpuprofile [--from 5 --to 25] [--top 40]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

function argument(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : Number(process.argv[at + 1]);
}

/** The module a script belongs to: its npm package, or its folder under src/ (or a runtime bucket). */
function moduleOf(url: string): string {
  if (!url) return '(native/gc/idle)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const src = /\/(src|cmd|bench)\/([^/]+)/.exec(url);
  if (src) return src[1] === 'src' && src[2]?.includes('.') === false ? `src/${src[2]}` : `${src[1]}/${src[2]}`;
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(node_modules|src|cmd)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx bench/cpu-profile-summary.ts FILE.cpuprofile [--from S --to S] [--top N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const from = (argument('--from') ?? 0) * 1e6;
const to = (argument('--to') ?? Infinity) * 1e6;
const top = argument('--top') ?? 30;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample i lasts until the next one: its delta is timeDeltas[i + 1].
const self = new Map<number, number>();
let t = 0;
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  const lasted = profile.timeDeltas[i + 1] ?? 0;
  if (t < from || t > to) continue;
  const id = profile.samples[i] as number;
  self.set(id, (self.get(id) ?? 0) + lasted);
  total += lasted;
}

const idle = new Set(['(idle)', '(program)', '(garbage collector)']);
const selfByLabel = new Map<string, number>();
const totalByLabel = new Map<string, number>();
const selfByModule = new Map<string, number>();
for (const [id, us] of self) {
  const node = byId.get(id) as ProfileNode;
  const name = idle.has(node.callFrame.functionName) ? node.callFrame.functionName : label(node);
  selfByLabel.set(name, (selfByLabel.get(name) ?? 0) + us);
  const module = idle.has(node.callFrame.functionName) ? node.callFrame.functionName : moduleOf(node.callFrame.url);
  selfByModule.set(module, (selfByModule.get(module) ?? 0) + us);
  // Total: each distinct function on the stack once.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const n = byId.get(at) as ProfileNode;
    if (n.callFrame.functionName === '(root)') continue;
    const l = label(n);
    if (seen.has(l)) continue;
    seen.add(l);
    totalByLabel.set(l, (totalByLabel.get(l) ?? 0) + us);
  }
}

const busy = total - (self.get([...byId.values()].find((n) => n.callFrame.functionName === '(idle)')?.id ?? -1) ?? 0);
const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
const print = (title: string, map: Map<string, number>, n: number) => {
  console.log(`\n## ${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms(us)} ms ${pct(us)}  ${name}`);
};
console.log(`window ${(total / 1e6).toFixed(1)} s, busy (not idle) ${(busy / 1e6).toFixed(2)} s; percentages of busy`);
print('self time by module', selfByModule, top);
print('self time by function', selfByLabel, top);
print('total time by function', totalByLabel, top);
