// The Linux _IOC request-number encoding (include/uapi/asm-generic/ioctl.h),
// as used by x86-64 and arm64: nr 8 bits, type 8 bits, size 14 bits, dir 2
// bits. (alpha, mips, powerpc and sparc use a different layout.)

export const _IOC_NRBITS = 8;
export const _IOC_TYPEBITS = 8;
export const _IOC_SIZEBITS = 14;
export const _IOC_DIRBITS = 2;

export const _IOC_NRSHIFT = 0;
export const _IOC_TYPESHIFT = _IOC_NRSHIFT + _IOC_NRBITS;
export const _IOC_SIZESHIFT = _IOC_TYPESHIFT + _IOC_TYPEBITS;
export const _IOC_DIRSHIFT = _IOC_SIZESHIFT + _IOC_SIZEBITS;

export const _IOC_NONE = 0;
export const _IOC_WRITE = 1;
export const _IOC_READ = 2;

/** An ioctl type: a number or a one-character string such as 'W'. */
export type IocType = number | string;

function typeCode(type: IocType): number {
  const t = typeof type === 'string' ? type.charCodeAt(0) : type;
  if (typeof type === 'string' && type.length !== 1) throw new RangeError(`ioctl type must be one character, got '${type}'`);
  if (!Number.isInteger(t) || t < 0 || t > 0xff) throw new RangeError(`ioctl type out of range: ${String(type)}`);
  return t;
}

function field(name: string, value: number, bits: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`ioctl ${name} ${value} does not fit ${bits} bits`);
  }
  return value;
}

/** `_IOC(dir, type, nr, size)` as an unsigned 32-bit number. */
export function _IOC(dir: number, type: IocType, nr: number, size: number): number {
  return (
    ((field('dir', dir, _IOC_DIRBITS) << _IOC_DIRSHIFT) |
      (field('size', size, _IOC_SIZEBITS) << _IOC_SIZESHIFT) |
      (typeCode(type) << _IOC_TYPESHIFT) |
      (field('nr', nr, _IOC_NRBITS) << _IOC_NRSHIFT)) >>>
    0
  );
}

export function _IO(type: IocType, nr: number): number {
  return _IOC(_IOC_NONE, type, nr, 0);
}
/** `_IOR(type, nr, T)`: `size` is sizeof(T). */
export function _IOR(type: IocType, nr: number, size: number): number {
  return _IOC(_IOC_READ, type, nr, size);
}
/** `_IOW(type, nr, T)`: `size` is sizeof(T). */
export function _IOW(type: IocType, nr: number, size: number): number {
  return _IOC(_IOC_WRITE, type, nr, size);
}
/** `_IOWR(type, nr, T)`: `size` is sizeof(T). */
export function _IOWR(type: IocType, nr: number, size: number): number {
  return _IOC(_IOC_READ | _IOC_WRITE, type, nr, size);
}

export function _IOC_DIR(request: number): number {
  return (request >>> _IOC_DIRSHIFT) & ((1 << _IOC_DIRBITS) - 1);
}
export function _IOC_TYPE(request: number): number {
  return (request >>> _IOC_TYPESHIFT) & ((1 << _IOC_TYPEBITS) - 1);
}
export function _IOC_NR(request: number): number {
  return (request >>> _IOC_NRSHIFT) & ((1 << _IOC_NRBITS) - 1);
}
export function _IOC_SIZE(request: number): number {
  return (request >>> _IOC_SIZESHIFT) & ((1 << _IOC_SIZEBITS) - 1);
}

/** Map a spec direction to the _IOC dir bits. */
export function iocDirBits(dir: 'none' | 'read' | 'write' | 'readwrite'): number {
  return dir === 'none' ? _IOC_NONE : dir === 'read' ? _IOC_READ : dir === 'write' ? _IOC_WRITE : _IOC_READ | _IOC_WRITE;
}
