// Hand-written runtime types and helpers used by the generated modules in
// ./generated/. Layouts describe little-endian x86-64/arm64 Linux (natural
// alignment, LP64); every multi-byte access uses little-endian order.

/** Fixed-width scalar types of the spec. */
export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';

/** A group of bits in an integer: `(word & mask) >>> shift`. */
export interface BitsLayout {
  readonly shift: number;
  readonly width: number;
  /** The bits in place, as an unsigned number. */
  readonly mask: number;
}

export interface FieldLayout {
  /** Byte offset in the struct. */
  readonly offset: number;
  /** Bytes taken (0 for a flexible array). */
  readonly size: number;
  /** Scalar type or struct name (spec spelling). */
  readonly type: string;
  /** Array length (0: flexible array member). */
  readonly count?: number;
  readonly elementSize?: number;
  readonly flexible?: boolean;
  /** A NUL-padded string in a u8 array. */
  readonly string?: boolean;
  /** The bitset (spec name) describing the field's bits. */
  readonly bitset?: string;
  /** C bit fields packed in this field. */
  readonly bitfields?: Readonly<Record<string, BitsLayout>>;
}

export interface StructLayout {
  /** The C struct name. */
  readonly name: string;
  /** sizeof(struct), excluding a flexible array. */
  readonly size: number;
  readonly align: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}

export type IoctlDir = 'none' | 'read' | 'write' | 'readwrite';

export interface IoctlLayout {
  /** The request number (x86-64/arm64 _IOC encoding). */
  readonly request: number;
  readonly dir: IoctlDir;
  readonly type: number;
  readonly nr: number;
  /** Argument size encoded in the number (0 for _IO). */
  readonly size: number;
  /** value: passed by value; pointer: variable-size struct; struct: sized argument. */
  readonly argKind: 'value' | 'pointer' | 'struct';
  readonly arg: string;
}

/** `(word & bits.mask) >>> bits.shift`. */
export function bitsGet(word: number, bits: BitsLayout): number {
  return ((word & bits.mask) >>> bits.shift) >>> 0;
}

/** `word` with `bits` replaced by `value` (excess high bits of value dropped). */
export function bitsSet(word: number, bits: BitsLayout, value: number): number {
  return ((word & ~bits.mask) | ((value << bits.shift) & bits.mask)) >>> 0;
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Decode a NUL-terminated (NUL-padded) UTF-8 string of at most `length` bytes. */
export function decodeCString(view: DataView, offset: number, length: number): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, length);
  const end = bytes.indexOf(0);
  return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * Encode `value` as UTF-8 into a `length`-byte field, NUL-padded. Throws a
 * RangeError if it needs more than `length - 1` bytes or contains a NUL.
 */
export function encodeCString(view: DataView, offset: number, length: number, value: string): void {
  const bytes = utf8Encoder.encode(value);
  if (bytes.length > length - 1) {
    throw new RangeError(`string of ${bytes.length} bytes does not fit a ${length}-byte field (NUL included)`);
  }
  if (bytes.includes(0)) throw new RangeError('string contains a NUL byte');
  const dst = new Uint8Array(view.buffer, view.byteOffset + offset, length);
  dst.fill(0);
  dst.set(bytes);
}

/** Copy `length` bytes out of the view. */
export function copyBytes(view: DataView, offset: number, length: number): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + length));
}

/** Copy `value` into a `length`-byte field, zero-filling the rest. */
export function writeBytes(view: DataView, offset: number, length: number, value: Uint8Array): void {
  if (value.length > length) throw new RangeError(`${value.length} bytes do not fit a ${length}-byte field`);
  const dst = new Uint8Array(view.buffer, view.byteOffset + offset, length);
  dst.fill(0);
  dst.set(value);
}

/** Throws unless `index` is an integer in [0, count). */
export function checkIndex(index: number, count: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`index ${index} out of range [0, ${count})`);
  }
}

/** Throws unless an array of `length` elements fits a field of `count`. */
export function checkLength(length: number, count: number, field: string): void {
  if (length > count) throw new RangeError(`${field}: ${length} elements do not fit ${count}`);
}
