import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { connectGateway, GatewayCallError, seg, type GatewayHttp } from './gateway-http.ts';

/** `parley contacts`, `parley campaign` and `parley dnc`: the campaign API (docs/campaigns.md §7) for admins. */

type Values = Record<string, string | boolean | string[] | undefined>;

export class CommandUsageError extends Error {
  override readonly name = 'CommandUsageError';
}

interface Rejected {
  line: number;
  reason: string;
}
interface ImportResult {
  rows: number;
  imported: number;
  duplicates: number;
  rejectedCount: number;
  rejected: Rejected[];
}
interface CampaignStatus {
  name: string;
  state: string;
  ready: { ok: boolean; reason?: string; message?: string };
  progress: { total: number; processed: number; sent: number; delivered: number; failed: number; skipped: number; skippedByReason: Record<string, number>; waiting: number };
}

const print = (line: string) => console.log(line);
const gateway = (v: Values) => connectGateway({ dataDir: v.data as string, tenant: v.tenant as string });

/** Counts the file's lines as they go by, for the progress bar. */
function lineCounter(onLines: (lines: number, bytes: number) => void): Transform {
  let lines = 0;
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      bytes += chunk.length;
      onLines(lines, bytes);
      done(null, chunk);
    },
  });
}

function printRejected(result: { rejectedCount: number; rejected: Rejected[] }): void {
  for (const r of result.rejected.slice(0, 20)) print(`  line ${r.line}: ${r.reason}`);
  if (result.rejectedCount > 20) print(`  … and ${result.rejectedCount - 20} more`);
}

/** `--map mobile=phone`: the file's column → the contact field (phone, email, id, timeZone). */
function mappingQuery(maps: string[]): URLSearchParams {
  const query = new URLSearchParams();
  for (const map of maps) {
    const [column, field] = map.split('=');
    if (!column || !field || !['phone', 'email', 'id', 'timeZone'].includes(field)) throw new CommandUsageError(`--map takes column=field, field one of phone, email, id, timeZone: not "${map}"`);
    query.set(field, column);
  }
  return query;
}

/** Creates the list when it does not exist yet (named after its id); an existing one is left as it is. */
async function ensureList(http: GatewayHttp, kind: 'contact-lists' | 'dnc-lists', id: string, body: Record<string, unknown>): Promise<void> {
  if (kind === 'dnc-lists') {
    const { lists } = await http.call<{ lists: { id: string }[] }>('GET', '/v1/dnc-lists');
    if (lists.some((l) => l.id === id)) return;
  } else {
    try {
      return void (await http.call('GET', `/v1/contact-lists/${seg(id)}`));
    } catch (err) {
      if (!(err instanceof GatewayCallError && err.status === 404)) throw err;
    }
  }
  await http.call('PUT', `/v1/${kind}/${seg(id)}`, { name: id, ...body });
  print(`created ${kind === 'contact-lists' ? 'contact' : 'do-not-contact'} list ${id}`);
}

export async function contactsCommand(v: Values, args: string[]): Promise<void> {
  const [action, file, ...extra] = args;
  if (action !== 'import' || !file || extra.length > 0) throw new CommandUsageError('usage: parley contacts import FILE --list NAME');
  const list = v.list as string | undefined;
  if (!list) throw new CommandUsageError('contacts import needs --list NAME');
  const query = mappingQuery((v.map as string[] | undefined) ?? []);
  if (v.country) query.set('country', v.country as string);
  const http = await gateway(v);
  await ensureList(http, 'contact-lists', list, v.country ? { defaultCountry: v.country } : {});

  const size = (await stat(file)).size;
  const bar = new cliProgress.SingleBar(
    { format: 'importing |{bar}| {percentage}% | {rows} rows | {rate} rows/s', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(size, 0, { rows: 0, rate: 0 });
  const counter = lineCounter((lines, bytes) => {
    const seconds = (performance.now() - started) / 1000;
    bar.update(bytes, { rows: Math.max(0, lines - 1), rate: seconds > 0 ? Math.round(lines / seconds) : 0 });
  });
  const upload = createReadStream(file).pipe(counter);
  let result: ImportResult;
  try {
    result = await http.upload<ImportResult>(`/v1/contact-lists/${seg(list)}/import?${query.toString()}`, upload);
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  print(`${result.imported} imported, ${result.rejectedCount} rejected (${result.duplicates} duplicates) of ${result.rows} rows in ${seconds.toFixed(1)} s (${Math.round(result.rows / Math.max(seconds, 0.001))} rows/s)`);
  printRejected(result);
}

function describe(s: CampaignStatus): string {
  const p = s.progress;
  const skipped = Object.entries(p.skippedByReason).map(([reason, n]) => `${reason} ${n}`).join(', ');
  const lines = [
    `${s.name}: ${s.state}${s.ready.ok ? '' : ` — cannot run: ${s.ready.reason ?? ''}: ${s.ready.message ?? ''}`}`,
    `  ${p.processed}/${p.total} processed: ${p.sent} sent, ${p.delivered} delivered, ${p.failed} failed, ${p.skipped} skipped${skipped ? ` (${skipped})` : ''}, ${p.waiting} waiting for their window`,
  ];
  return lines.join('\n');
}

const ended = (state: string) => state === 'completed' || state === 'stopped';

/** `--watch`: the status every second until the campaign ends (or Ctrl-C). Polling: it survives gateway restarts and load balancers. */
async function watch(http: GatewayHttp, name: string, intervalMs: number): Promise<void> {
  const bar = new cliProgress.SingleBar(
    { format: '{state} |{bar}| {value}/{total} | sent {sent} delivered {delivered} failed {failed} skipped {skipped} waiting {waiting}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let status = await http.call<CampaignStatus>('GET', `/v1/campaigns/${seg(name)}`);
  bar.start(status.progress.total, status.progress.processed, { state: status.state, ...status.progress });
  try {
    while (!ended(status.state)) {
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      status = await http.call<CampaignStatus>('GET', `/v1/campaigns/${seg(name)}`);
      bar.setTotal(status.progress.total);
      bar.update(status.progress.processed, { state: status.state, ...status.progress });
    }
  } finally {
    bar.stop();
  }
  print(describe(status));
}

export async function campaignCommand(v: Values, args: string[]): Promise<void> {
  const [action, name, ...extra] = args;
  const actions = ['start', 'pause', 'resume', 'stop', 'status'];
  if (!action || !actions.includes(action) || !name || extra.length > 0) throw new CommandUsageError(`usage: parley campaign ${actions.join('|')} NAME`);
  const http = await gateway(v);
  if (action === 'status' && v.watch) return watch(http, name, 1000);
  const status = await http.call<CampaignStatus>(action === 'status' ? 'GET' : 'POST', `/v1/campaigns/${seg(name)}${action === 'status' ? '' : `/${action}`}`);
  print(describe(status));
  if (v.watch) await watch(http, name, 1000);
}

export async function dncCommand(v: Values, args: string[]): Promise<void> {
  const [action, list, ...rest] = args;
  if (!action || !['add', 'import', 'export'].includes(action) || !list) throw new CommandUsageError('usage: parley dnc add LIST ADDRESS… | import LIST FILE | export LIST');
  const http = await gateway(v);
  if (action === 'export') {
    if (rest.length > 0) throw new CommandUsageError('usage: parley dnc export LIST [--out FILE]');
    const body = Readable.fromWeb(await http.download(`/v1/dnc-lists/${seg(list)}/export`));
    await pipeline(body, v.out ? createWriteStream(v.out as string) : process.stdout);
    return;
  }
  await ensureList(http, 'dnc-lists', list, { channelKind: (v.kind) ?? null });
  if (action === 'add') {
    if (rest.length === 0) throw new CommandUsageError('usage: parley dnc add LIST ADDRESS…');
    const entries = rest.map((address) => ({ address, ...(v.note ? { note: v.note as string } : {}) }));
    const result = await http.call<{ added: number; alreadyListed: number }>('POST', `/v1/dnc-lists/${seg(list)}/entries`, { entries, ...(v.country ? { defaultCountry: v.country } : {}) });
    return print(`${result.added} added, ${result.alreadyListed} already listed`);
  }
  const [file, ...extra] = rest;
  if (!file || extra.length > 0) throw new CommandUsageError('usage: parley dnc import LIST FILE');
  const query = new URLSearchParams();
  if (v.column) query.set('column', v.column as string);
  if (v.country) query.set('country', v.country as string);
  const result = await http.upload<{ added: number; alreadyListed: number; rejectedCount: number; rejected: Rejected[] }>(`/v1/dnc-lists/${seg(list)}/import?${query.toString()}`, createReadStream(file));
  print(`${result.added} added, ${result.alreadyListed} already listed, ${result.rejectedCount} rejected`);
  printRejected(result);
}
