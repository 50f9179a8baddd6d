/**
 * HTTP plumbing: request bodies, content negotiation (JSON, YAML, Table,
 * PartialObjectMetadata), JSON responses and Warning headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { badRequest, failure, notAcceptable } from './errors.ts';
import { ProtobufError, decodeK8sProtobuf } from './protobuf.ts';

export type Representation =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: string }
  | { kind: 'partial'; version: string };

/** Picks the first acceptable representation from an Accept header. */
export function negotiate(accept: string | undefined, allowAs: boolean): Representation {
  if (accept === undefined || accept.trim() === '') return { kind: 'json' };
  for (const part of accept.split(',')) {
    const [media = '', ...rawParams] = part.split(';').map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of rawParams) {
      const i = kv.indexOf('=');
      if (i > 0) p[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
    }
    const json = media === 'application/json' || media === '*/*' || media === 'application/*';
    if (p.as !== undefined) {
      if (!allowAs || !json || p.g !== 'meta.k8s.io' || (p.v !== 'v1' && p.v !== 'v1beta1')) continue;
      if (p.as === 'Table') return { kind: 'table', version: p.v };
      if (p.as === 'PartialObjectMetadata' || p.as === 'PartialObjectMetadataList') return { kind: 'partial', version: p.v };
      continue;
    }
    if (json) return { kind: 'json' };
    if (media === 'application/yaml') return { kind: 'yaml' };
  }
  throw notAcceptable();
}

const MAX_BODY = 8 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw failure(413, 'RequestEntityTooLarge', 'the request entity is too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Parses a request body by Content-Type (JSON, YAML, patch types). */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const media = (contentType ?? 'application/json').split(';')[0]?.trim() ?? '';
  if (media === 'application/vnd.kubernetes.protobuf' && raw.length > 0) {
    try {
      return decodeK8sProtobuf(raw);
    } catch (err) {
      if (err instanceof ProtobufError) throw failure(415, 'UnsupportedMediaType', err.message);
      throw err;
    }
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  if (media === 'application/yaml' || media === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text) as unknown;
    } catch (err) {
      throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
    }
  }
  if (media.includes('protobuf') || media.includes('cbor')) {
    throw failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

/** `Warning: 299 - "text"` header values. */
export const warningHeader = (text: string): string => `299 - ${JSON.stringify(text)}`;

export function send(res: ServerResponse, code: number, body: unknown, rep: Representation = { kind: 'json' }, warnings: string[] = []): void {
  if (warnings.length > 0) res.setHeader('Warning', warnings.map(warningHeader));
  if (rep.kind === 'yaml') {
    res.writeHead(code, { 'Content-Type': 'application/yaml' });
    res.end(stringifyYaml(body));
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
