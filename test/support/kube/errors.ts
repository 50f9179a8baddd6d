/**
 * Kubernetes `Status` errors, shaped exactly like the ones kube-apiserver sends
 * (k8s.io/apimachinery/pkg/api/errors and pkg/util/validation/field).
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A group + resource (plural) or group + kind, as the error messages qualify them. */
export interface GroupName {
  group: string;
  name: string;
}

/** "widgets.example.com", or just "configmaps" for the core group. */
export function qualified(gr: GroupName): string {
  return gr.group === '' ? gr.name : `${gr.name}.${gr.group}`;
}

export class ApiError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
}

export function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiError {
  // Same key order as the apiserver's JSON.
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message } as Status;
  if (reason !== '') status.reason = reason;
  if (details !== undefined) status.details = details;
  status.code = code;
  return new ApiError(status);
}

export function successStatus(details: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

export const unauthorized = (): ApiError => failure(401, 'Unauthorized', 'Unauthorized');

export const notFoundPath = (): ApiError =>
  failure(404, 'NotFound', 'the server could not find the requested resource', {});

export const notFound = (gr: GroupName, name: string): ApiError =>
  failure(404, 'NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.name });

export const alreadyExists = (gr: GroupName, name: string): ApiError =>
  failure(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, {
    name,
    group: gr.group,
    kind: gr.name,
  });

export const conflict = (gr: GroupName, name: string, why: string): ApiError =>
  failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, {
    name,
    group: gr.group,
    kind: gr.name,
  });

export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

export const badRequest = (message: string): ApiError => failure(400, 'BadRequest', message);

export const forbidden = (gr: GroupName, name: string, why: string): ApiError =>
  failure(403, 'Forbidden', `${qualified(gr)} "${name}" is forbidden: ${why}`, {
    name,
    group: gr.group,
    kind: gr.name,
  });

export const methodNotSupported = (gr: GroupName, action: string): ApiError =>
  failure(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${qualified(gr)}"`, {
    group: gr.group,
    kind: gr.name,
  });

export const notAcceptable = (): ApiError =>
  failure(
    406,
    'NotAcceptable',
    'only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io',
  );

export const unsupportedMediaType = (accepted: string[]): ApiError =>
  failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );

export const expired = (message: string): ApiError => failure(410, 'Expired', message);

export const internalError = (message: string): ApiError =>
  failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });

/** 422 with no qualified kind: what the patch handler answers for a patch it cannot apply. */
export const patchRejected = (message: string): ApiError =>
  failure(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message }],
  });

// ---------------------------------------------------------------------------
// Field errors (k8s.io/apimachinery/pkg/util/validation/field)

export type FieldErrorType =
  | 'Required'
  | 'Invalid'
  | 'NotSupported'
  | 'TypeInvalid'
  | 'TooLong'
  | 'TooMany'
  | 'Forbidden'
  | 'Duplicate';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  detail?: string;
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  Required: 'Required value',
  Invalid: 'Invalid value',
  NotSupported: 'Unsupported value',
  TypeInvalid: 'Invalid value',
  TooLong: 'Too long',
  TooMany: 'Too many',
  Forbidden: 'Forbidden',
  Duplicate: 'Duplicate value',
};

const CAUSE: Record<FieldErrorType, string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  TypeInvalid: 'FieldValueTypeInvalid',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  Forbidden: 'FieldValueForbidden',
  Duplicate: 'FieldValueDuplicate',
};

/** Go's `%v` for a float64 (shortest representation, exponent past 1e21 or below 1e-4). */
export function goFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) {
    const [mant = '', e = '0'] = n.toExponential().split('e');
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[-+]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

/** How field errors print a bad value: strings quoted, numbers and booleans bare. */
export function formatValue(value: unknown): string {
  // Go turns a nil bad value into the string "null", then quotes it.
  if (value === null || value === undefined) return '"null"';
  if (typeof value === 'object' && '__goRaw' in value && typeof value.__goRaw === 'string') return value.__goRaw;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return goFloat(value);
  if (typeof value === 'boolean') return String(value);
  return goValue(value);
}

/** Go's `%v` of a decoded JSON value: map[a:b], [x y]. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goFloat(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[${entries.map(([k, v]) => `${k}:${goValue(v)}`).join(' ')}]`;
}

export function fieldErrorBody(e: FieldError): string {
  let s: string;
  switch (e.type) {
    case 'Required':
    case 'Forbidden':
    case 'TooLong':
      s = TYPE_TEXT[e.type];
      break;
    default:
      s = `${TYPE_TEXT[e.type]}: ${formatValue(e.value)}`;
  }
  if (e.detail !== undefined && e.detail !== '') s += `: ${e.detail}`;
  return s;
}

export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** errs.ToAggregate().Error(): one error as is, several in brackets. */
export function aggregate(errs: FieldError[]): string {
  const msgs = [...new Set(errs.map(fieldErrorString))];
  return msgs.length === 1 ? (msgs[0] ?? '') : `[${msgs.join(', ')}]`;
}

/** 422 Invalid, qualified by kind (details.kind is the Kind, not the resource). */
export function invalid(gk: GroupName, name: string, errs: FieldError[]): ApiError {
  const kind = gk.name === '' ? '' : qualified(gk);
  return failure(422, 'Invalid', `${kind} "${name}" is invalid: ${aggregate(errs)}`, {
    name,
    group: gk.group,
    kind: gk.name,
    causes: errs.map((e) => ({ reason: CAUSE[e.type], message: fieldErrorBody(e), field: e.field })),
  });
}

export const required = (field: string, detail?: string): FieldError => ({ type: 'Required', field, detail });
export const invalidField = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'Invalid',
  field,
  value,
  detail,
});
export const forbiddenField = (field: string, detail: string): FieldError => ({ type: 'Forbidden', field, detail });
