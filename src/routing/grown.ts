type TypedArray = Uint8Array | Uint32Array | Int32Array | Float64Array;

/** A longer copy of a typed array (the scheduler's columns grow by doubling), the new slots at `fill`. */
export function grown<T extends TypedArray>(array: T, capacity: number, fill = 0): T {
  const longer = new (array.constructor as new (length: number) => T)(capacity);
  if (fill !== 0) longer.fill(fill);
  longer.set(array);
  return longer;
}
