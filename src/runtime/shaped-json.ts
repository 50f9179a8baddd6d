/** One step of the shapes' trie: an object whose keys, in order, led here has shape `id` (0 until one ended here). */
interface ShapeNode {
  id: number;
  next: Map<string, ShapeNode> | undefined;
}

/** Arrays start with this tag in the encoded form; objects, with their shape's number (from 1). */
const ARRAY = 0;

/**
 * JSON with the keys of recurring objects said once: each object whose keys, in their
 * order, form a known shape is written as an array of its shape's number and its values
 * (`{"a":1,"b":[2]}` is `[1,1,[0,2]]` once `a,b` is shape 1). A waiting conversation's
 * state is 880 characters as JSON and 390 this way: its keys are most of it.
 *
 * Shapes are learned as values are encoded, and live as long as the codec: a text
 * decodes only with the codec that made it (in the process's memory, never stored).
 * Objects beyond `maxShapes` shapes (keys made of data, say) are written as plain
 * objects, and the shapes' trie keeps at most four nodes per shape.
 * A value comes back as `JSON.parse(JSON.stringify(value))` would: keys in the same
 * order, `undefined` and functions dropped, `toJSON` applied.
 */
export class ShapedJson {
  private readonly root: ShapeNode = { id: 0, next: undefined };
  /** By shape number: its keys in order (index 0 unused: the arrays' tag). */
  private readonly shapes: string[][] = [[]];
  /** Trie nodes made: the bound on the memory shapes take. */
  private nodes = 0;

  constructor(private readonly maxShapes = 4096) {}

  /** How many shapes it knows. */
  get shapeCount(): number {
    return this.shapes.length - 1;
  }

  encode(value: unknown): string {
    return JSON.stringify(this.encoded(value));
  }

  decode(text: string): unknown {
    return this.decoded(JSON.parse(text));
  }

  private encoded(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return this.encoded((value as { toJSON(): unknown }).toJSON());
    if (Array.isArray(value)) {
      const out: unknown[] = [ARRAY];
      for (let i = 0; i < value.length; i++) out.push(this.encoded(value[i]));
      return out;
    }
    const object = value as Record<string, unknown>;
    const out: unknown[] = [0];
    // The keys JSON keeps, as it decides: by the value once `toJSON` is applied.
    const kept: string[] = [];
    let node: ShapeNode | undefined = this.root;
    const keys = Object.keys(object);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const v = this.encoded(object[key]);
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      node = node && this.child(node, key);
      kept.push(key);
      out.push(v);
    }
    const shape = node && this.shapeAt(node, kept);
    if (shape !== undefined) {
      out[0] = shape;
      return out;
    }
    // No shape for it: a plain object, its values encoded.
    const plain: Record<string, unknown> = {};
    for (let i = 0; i < kept.length; i++) define(plain, kept[i] as string, out[i + 1]);
    return plain;
  }

  private decoded(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      const tag = value[0] as number;
      if (tag === ARRAY) {
        const out: unknown[] = [];
        for (let i = 1; i < value.length; i++) out.push(this.decoded(value[i]));
        return out;
      }
      const keys = this.shapes[tag];
      if (!keys) throw new Error(`shaped JSON: unknown shape ${tag} (decoded by another codec than the one that encoded it)`);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) define(out, keys[i] as string, this.decoded(value[i + 1]));
      return out;
    }
    const plain = value as Record<string, unknown>;
    for (const key of Object.keys(plain)) {
      const v = plain[key];
      if (typeof v === 'object' && v !== null) define(plain, key, this.decoded(v));
    }
    return plain;
  }

  /** The node after `key`, made if the shapes have room; undefined beyond them. */
  private child(node: ShapeNode, key: string): ShapeNode | undefined {
    let next = node.next?.get(key);
    if (next) return next;
    if (this.nodes >= this.maxShapes * 4) return undefined;
    next = { id: 0, next: undefined };
    (node.next ??= new Map()).set(key, next);
    this.nodes++;
    return next;
  }

  /** The shape of these keys, which led to `node` (numbered the first time), or undefined when there is no room for another. */
  private shapeAt(node: ShapeNode, keys: string[]): number | undefined {
    if (node.id !== 0) return node.id;
    if (this.shapes.length > this.maxShapes) return undefined;
    node.id = this.shapes.length;
    this.shapes.push(keys);
    return node.id;
  }
}

/** `object[key] = value`, and an own property even for `__proto__` (as JSON.parse makes it). */
function define(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}
