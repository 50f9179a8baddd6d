/**
 * Decoding of Kubernetes protobuf request bodies for the built-in kinds
 * kubectl sends that way: its typed clients (`kubectl create namespace`,
 * `create configmap`, `create secret generic`) POST
 * `application/vnd.kubernetes.protobuf`, a "k8s\0" magic followed by a
 * runtime.Unknown envelope whose `raw` is the object message. Responses stay
 * JSON (kubectl also accepts application/json).
 */

type FieldType =
  | 'string'
  | 'int'
  | 'bool'
  | 'bytes'
  | 'time'
  | 'microtime'
  | 'map<string,string>'
  | 'map<string,bytes>'
  | { message: string };

interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
}

const MESSAGES: Record<string, Record<number, Field>> = {
  ObjectMeta: {
    1: { name: 'name', type: 'string' },
    2: { name: 'generateName', type: 'string' },
    3: { name: 'namespace', type: 'string' },
    4: { name: 'selfLink', type: 'string' },
    5: { name: 'uid', type: 'string' },
    6: { name: 'resourceVersion', type: 'string' },
    7: { name: 'generation', type: 'int' },
    8: { name: 'creationTimestamp', type: 'time' },
    9: { name: 'deletionTimestamp', type: 'time' },
    10: { name: 'deletionGracePeriodSeconds', type: 'int' },
    11: { name: 'labels', type: 'map<string,string>' },
    12: { name: 'annotations', type: 'map<string,string>' },
    13: { name: 'ownerReferences', type: { message: 'OwnerReference' }, repeated: true },
    14: { name: 'finalizers', type: 'string', repeated: true },
  },
  OwnerReference: {
    1: { name: 'kind', type: 'string' },
    3: { name: 'name', type: 'string' },
    4: { name: 'uid', type: 'string' },
    5: { name: 'apiVersion', type: 'string' },
    6: { name: 'controller', type: 'bool' },
    7: { name: 'blockOwnerDeletion', type: 'bool' },
  },
  Namespace: {
    1: { name: 'metadata', type: { message: 'ObjectMeta' } },
    2: { name: 'spec', type: { message: 'NamespaceSpec' } },
    3: { name: 'status', type: { message: 'NamespaceStatus' } },
  },
  NamespaceSpec: { 1: { name: 'finalizers', type: 'string', repeated: true } },
  NamespaceStatus: { 1: { name: 'phase', type: 'string' } },
  ConfigMap: {
    1: { name: 'metadata', type: { message: 'ObjectMeta' } },
    2: { name: 'data', type: 'map<string,string>' },
    3: { name: 'binaryData', type: 'map<string,bytes>' },
    4: { name: 'immutable', type: 'bool' },
  },
  Secret: {
    1: { name: 'metadata', type: { message: 'ObjectMeta' } },
    2: { name: 'data', type: 'map<string,bytes>' },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'map<string,string>' },
    5: { name: 'immutable', type: 'bool' },
  },
  Lease: {
    1: { name: 'metadata', type: { message: 'ObjectMeta' } },
    2: { name: 'spec', type: { message: 'LeaseSpec' } },
  },
  LeaseSpec: {
    1: { name: 'holderIdentity', type: 'string' },
    2: { name: 'leaseDurationSeconds', type: 'int' },
    3: { name: 'acquireTime', type: 'microtime' },
    4: { name: 'renewTime', type: 'microtime' },
    5: { name: 'leaseTransitions', type: 'int' },
    6: { name: 'strategy', type: 'string' },
    7: { name: 'preferredHolder', type: 'string' },
  },
  Unknown: {
    1: { name: 'typeMeta', type: { message: 'TypeMeta' } },
    2: { name: 'raw', type: 'bytes' },
    3: { name: 'contentEncoding', type: 'string' },
    4: { name: 'contentType', type: 'string' },
  },
  TypeMeta: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } },
  Time: { 1: { name: 'seconds', type: 'int' }, 2: { name: 'nanos', type: 'int' } },
  MapEntry: { 1: { name: 'key', type: 'bytes' }, 2: { name: 'value', type: 'bytes' } },
};

export class ProtobufError extends Error {}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++] ?? 0;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new ProtobufError('truncated bytes');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new ProtobufError(`unsupported wire type ${wire}`);
  }
}

function toInt(v: bigint): number {
  // int64 fields are two's complement in a varint.
  return Number(BigInt.asIntN(64, v));
}

function timeString(raw: Record<string, unknown>, micro: boolean): string | undefined {
  const seconds = typeof raw.seconds === 'number' ? raw.seconds : 0;
  const nanos = typeof raw.nanos === 'number' ? raw.nanos : 0;
  if (seconds <= -62135596800) return undefined; // the zero time
  const iso = new Date(seconds * 1000).toISOString();
  if (!micro) return iso.replace(/\.\d+Z$/, 'Z');
  return iso.replace(/\.\d+Z$/, `.${String(Math.trunc(nanos / 1000)).padStart(6, '0')}Z`);
}

function decodeMessage(buf: Buffer, messageName: string): Record<string, unknown> {
  const fields = MESSAGES[messageName];
  if (!fields) throw new ProtobufError(`no descriptor for ${messageName}`);
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done()) {
    const tag = Number(r.varint());
    const no = tag >> 3;
    const wire = tag & 7;
    const f = fields[no];
    if (!f) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    const t = f.type;
    if (typeof t === 'object') {
      value = decodeMessage(r.bytes(), t.message);
    } else if (t === 'string') {
      value = r.bytes().toString('utf8');
    } else if (t === 'bytes') {
      value = Buffer.from(r.bytes());
    } else if (t === 'int') {
      value = toInt(r.varint());
    } else if (t === 'bool') {
      value = r.varint() !== 0n;
    } else if (t === 'time' || t === 'microtime') {
      value = timeString(decodeMessage(r.bytes(), 'Time'), t === 'microtime');
    } else {
      const entry = decodeMessage(r.bytes(), 'MapEntry');
      const key = entry.key instanceof Buffer ? entry.key.toString('utf8') : '';
      const v = entry.value instanceof Buffer ? entry.value : Buffer.alloc(0);
      const map = (out[f.name] as Record<string, string> | undefined) ?? {};
      map[key] = t === 'map<string,bytes>' ? v.toString('base64') : v.toString('utf8');
      out[f.name] = map;
      continue;
    }
    if (value === undefined || value === '') continue;
    if (f.repeated) {
      const arr = (out[f.name] as unknown[] | undefined) ?? [];
      arr.push(value);
      out[f.name] = arr;
    } else {
      out[f.name] = value;
    }
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a "k8s\0"-framed protobuf object into its JSON form. */
export function decodeK8sProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ProtobufError('missing protobuf magic');
  const unknown = decodeMessage(body.subarray(4), 'Unknown');
  const typeMeta = (unknown.typeMeta ?? {}) as Record<string, unknown>;
  const kind = typeof typeMeta.kind === 'string' ? typeMeta.kind : '';
  if (!MESSAGES[kind] || ['Unknown', 'TypeMeta', 'Time', 'MapEntry', 'ObjectMeta'].includes(kind)) {
    throw new ProtobufError(`protobuf bodies of kind ${JSON.stringify(kind)} are not supported by the test server; send JSON`);
  }
  const raw: Buffer = Buffer.isBuffer(unknown.raw) ? unknown.raw : Buffer.alloc(0);
  const obj = decodeMessage(raw, kind);
  return { apiVersion: typeMeta.apiVersion, kind, ...obj };
}
