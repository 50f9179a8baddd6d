/**
 * Keys made of two strings (`tenant|media`), built once per pair and reused: the waiting
 * list looks them up on every change, and a string built anew is hashed anew for every
 * lookup.
 */
export class PairKeys {
  private readonly keys = new Map<string, Map<string, string>>();

  constructor(private readonly separator: string) {}

  of(a: string, b: string): string {
    let inner = this.keys.get(a);
    if (!inner) this.keys.set(a, (inner = new Map<string, string>()));
    let key = inner.get(b);
    if (key === undefined) inner.set(b, (key = `${a}${this.separator}${b}`));
    return key;
  }
}

/** `tenant|media` */
export const tenantMedia = new PairKeys('|');
