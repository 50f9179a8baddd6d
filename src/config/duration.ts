import { z } from 'zod';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses Go/Kubernetes-style durations such as `30s`, `72h`, `1h30m`, `250ms`. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    if (m.index !== consumed) return undefined;
    total += Number(m[1]) * (units[m[2] as string] as number);
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? Math.round(total) : undefined;
}

/**
 * `72h`, `30s`, `0s`: the form a default or a bound reads best in. Error messages and the
 * CRD descriptions (`kubectl explain`) both use it, so the two always read the same.
 */
export function formatDuration(ms: number): string {
  const day = 86_400_000;
  if (ms === 0) return '0s';
  if (ms % day === 0 && ms >= 7 * day) return `${ms / day}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 120_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The bounds as the CRD descriptions state them: `from 1s to 1h`. */
export function durationBounds(min: number, max: number | undefined): string {
  return max === undefined ? `at least ${formatDuration(min)}` : `from ${formatDuration(min)} to ${formatDuration(max)}`;
}

/** A duration field: a string like `72h`, resolved to milliseconds, within bounds. */
export function Duration(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (e.g. 30s, 15m, 72h)` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `${text} is out of range: ${durationBounds(min, max)}` });
      return z.NEVER;
    }
    return ms;
  });
}
