// Decoders, encoders, accessors, bitsets and the _IOC computation.

import { describe, expect, it } from 'vitest';
import * as uapi from '../src/index.js';
import {
  IOC_WATCH_QUEUE_ADD_WATCH,
  IOC_WATCH_QUEUE_SET_SIZE,
  KUE_IOC_INFO,
  KueIoctls,
  UMMUNOTIFY_EXCHANGE_FEATURES,
  UMMUNOTIFY_REGISTER_REGION,
  UmmunotifyIoctls,
  WATCH_INFO_ID,
  WATCH_INFO_ID__SHIFT,
  WATCH_INFO_LENGTH,
  WATCH_INFO_LENGTH__SHIFT,
  WATCH_INFO_OVERRUN,
  WATCH_TYPE_NETDEV,
  WatchInfo,
  WatchNotificationType,
  WatchQueueIoctls,
  _IO,
  _IOC,
  _IOC_DIR,
  _IOC_NR,
  _IOC_SIZE,
  _IOC_TYPE,
  _IOR,
  _IOW,
  _IOWR,
  bitsGet,
  bitsSet,
  decodeKueMsgHdr,
  decodeUmmunotifyEvent,
  decodeWatchNetdevNotification,
  decodeWatchNotificationFilter,
  encodeKueMsgHdr,
  encodeUmmunotifyEvent,
  encodeWatchNetdevNotification,
  encodeWatchNotification,
  encodeWatchNotificationFilter,
  encodeWatchQueueWatch,
  iocDirBits,
  setWatchNotificationSubtype,
  setWatchNotificationType,
  ummunotifyEventUserCookieCounter,
  watchNotificationInfo,
  watchNotificationSubtype,
  watchNotificationType,
  watchNotificationTypeFilterSubtypeFilter,
  watchQueueMetaHead,
  WatchNotificationFilterLayout,
  WatchQueueMetaLayout,
} from '../src/index.js';
import type { WatchNetdevNotification } from '../src/index.js';

const view = (n: number): DataView => new DataView(new ArrayBuffer(n));

describe('_IOC', () => {
  it('matches known kernel values', () => {
    expect(_IOWR('U', 1, 4)).toBe(0xc0045501); // _IOWR('U', 1, __u32)
    expect(_IO('U', 1)).toBe(0x5501); // UI_DEV_CREATE
    expect(_IOR('E', 0x01, 4)).toBe(0x80044501); // EVIOCGVERSION
    expect(_IOW('T', 202, 4)).toBe(0x400454ca); // TUNSETIFF
    expect(_IOR(0x12, 114, 8)).toBe(0x80081272); // BLKGETSIZE64
  });

  it('decodes its fields back and rejects out-of-range values', () => {
    const r = _IOC(3, 'K', 0x40, 48);
    expect([_IOC_DIR(r), _IOC_TYPE(r), _IOC_NR(r), _IOC_SIZE(r)]).toEqual([3, 0x4b, 0x40, 48]);
    expect(() => _IOW('W', 1, 1 << 14)).toThrow(RangeError);
    expect(() => _IO('WW', 1)).toThrow(RangeError);
    expect(() => _IO('W', 256)).toThrow(RangeError);
  });

  it('every generated request number equals _IOC of its parts', () => {
    for (const table of [WatchQueueIoctls, UmmunotifyIoctls, KueIoctls]) {
      for (const [name, io] of Object.entries(table)) {
        expect(_IOC(iocDirBits(io.dir), io.type, io.nr, io.size), name).toBe(io.request);
        expect(uapi[name as keyof typeof uapi], name).toBe(io.request);
      }
    }
    expect(IOC_WATCH_QUEUE_SET_SIZE).toBe(_IO('W', 0x60));
    expect(IOC_WATCH_QUEUE_ADD_WATCH).toBe(_IOW('W', 0x62, 16));
    expect(UMMUNOTIFY_EXCHANGE_FEATURES).toBe(0xc0045501);
    expect(UMMUNOTIFY_REGISTER_REGION).toBe(_IOW('U', 2, 32));
    expect(KUE_IOC_INFO).toBe(_IOR('K', 0x40, 48));
  });
});

describe('watch_notification bit fields and the info bitset', () => {
  it('packs type:24 and subtype:8 like the C compiler (type low)', () => {
    const v = view(8);
    encodeWatchNotification(v, 0, { type: 0x123456, subtype: 0xab, info: 0 });
    expect(v.getUint32(0, true)).toBe(0xab123456);
    expect(watchNotificationType(v, 0)).toBe(0x123456);
    expect(watchNotificationSubtype(v, 0)).toBe(0xab);
    setWatchNotificationType(v, 0, 0xffffffff);
    expect(v.getUint32(0, true)).toBe(0xabffffff);
    setWatchNotificationSubtype(v, 0, 0x1ff);
    expect(v.getUint32(0, true)).toBe(0xffffffff);
    setWatchNotificationType(v, 0, 0);
    expect(v.getUint32(0, true)).toBe(0xff000000);
  });

  it('reads length, id and flags from info', () => {
    let info = 0;
    info = bitsSet(info, WatchInfo.LENGTH, 4);
    info = bitsSet(info, WatchInfo.ID, 0xfe);
    info |= WATCH_INFO_OVERRUN;
    expect(info & WATCH_INFO_LENGTH).toBe(32); // as a byte mask: the length in bytes
    expect((info & WATCH_INFO_LENGTH) >>> WATCH_INFO_LENGTH__SHIFT).toBe(4);
    expect(((info & WATCH_INFO_ID) >>> WATCH_INFO_ID__SHIFT) >>> 0).toBe(0xfe);
    expect(bitsGet(info, WatchInfo.ID)).toBe(0xfe);
    expect(bitsGet(info, WatchInfo.OVERRUN)).toBe(1);
    expect(info >>> 0).toBe(0xfe000021);
    expect(WATCH_INFO_LENGTH).toBe(0x1f8);
  });
});

describe('decoders and encoders', () => {
  it('round-trips a netdev notification with a string', () => {
    const v = view(32);
    const n: WatchNetdevNotification = {
      watch: { type: WATCH_TYPE_NETDEV, subtype: 2, info: bitsSet(0, WatchInfo.LENGTH, 4) },
      ifindex: 7,
      flags: 0x1043,
      name: 'eth0',
    };
    expect(encodeWatchNetdevNotification(v, 0, n)).toBe(32);
    expect(decodeWatchNetdevNotification(v, 0)).toEqual(n);
    expect(new Uint8Array(v.buffer, 20, 12).every((b) => b === 0)).toBe(true);
    expect(watchNotificationInfo(v, 0)).toBe(32);
    expect(WatchNotificationType.NETDEV).toBe(1);
  });

  it('decodes at an offset inside a larger buffer and a DataView with byteOffset', () => {
    const buf = new ArrayBuffer(128);
    const v = new DataView(buf, 16);
    encodeWatchNetdevNotification(v, 24, { watch: { type: 1, subtype: 0, info: 0 }, ifindex: 3, flags: 0, name: 'lo' });
    expect(decodeWatchNetdevNotification(new DataView(buf), 40).name).toBe('lo');
    expect(decodeWatchNetdevNotification(v, 24).ifindex).toBe(3);
  });

  it('rejects a string that does not fit (NUL included)', () => {
    const v = view(32);
    const watch = { type: 1, subtype: 0, info: 0 };
    expect(() => encodeWatchNetdevNotification(v, 0, { watch, ifindex: 1, flags: 0, name: 'x'.repeat(16) })).toThrow(RangeError);
    expect(() => encodeWatchNetdevNotification(v, 0, { watch, ifindex: 1, flags: 0, name: 'x'.repeat(15) })).not.toThrow();
  });

  it('round-trips u64 fields as bigint, including values above 2^53', () => {
    const v = view(32);
    const e = { type: 0, flags: 1, hint_start: 0x7fff_0000_1000n, hint_end: 0xffff_ffff_ffff_ffffn, user_cookie_counter: (1n << 63n) + 5n };
    encodeUmmunotifyEvent(v, 0, e);
    expect(decodeUmmunotifyEvent(v, 0)).toEqual(e);
    expect(ummunotifyEventUserCookieCounter(v, 0)).toBe((1n << 63n) + 5n);
  });

  it('defaults reserved fields to zero and writes every byte', () => {
    const v = view(16);
    new Uint8Array(v.buffer).fill(0xcc);
    encodeWatchQueueWatch(v, 0, { type: 1, id: 9, flags: 0 });
    expect([...new Uint8Array(v.buffer)]).toEqual([1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const k = view(24);
    encodeKueMsgHdr(k, 0, { size: 5n, seq: 1n, flags: 1, lost: 3 });
    expect(decodeKueMsgHdr(k, 0)).toEqual({ size: 5n, seq: 1n, flags: 1, lost: 3 });
  });

  it('handles the flexible filter array', () => {
    const filters = [
      { type: 1, info_filter: 0, info_mask: 0, subtype_filter: [0b101, 0, 0, 0, 0, 0, 0, 0x80000000] },
      { type: 2, info_filter: 4, info_mask: 4, subtype_filter: [7] },
    ];
    const v = view(WatchNotificationFilterLayout.size + 2 * 44);
    expect(encodeWatchNotificationFilter(v, 0, { nr_filters: 2, filters })).toBe(8 + 88);
    const d = decodeWatchNotificationFilter(v, 0, 2);
    expect(d.nr_filters).toBe(2);
    expect(d.reserved).toBe(0);
    expect(d.filters[0]).toEqual(filters[0]);
    expect(d.filters[1]?.subtype_filter).toEqual([7, 0, 0, 0, 0, 0, 0, 0]);
    expect(watchNotificationTypeFilterSubtypeFilter(v, 8, 7)).toBe(0x80000000);
    expect(() => watchNotificationTypeFilterSubtypeFilter(v, 8, 8)).toThrow(RangeError);
    expect(decodeWatchNotificationFilter(v, 0).filters).toEqual([]);
  });

  it('exposes layouts with offsets for the ring reader', () => {
    expect(WatchQueueMetaLayout.fields.head.offset).toBe(8);
    expect(WatchQueueMetaLayout.fields.tail.offset).toBe(12);
    const v = view(24);
    v.setUint32(8, 0xfffffff0, true);
    expect(watchQueueMetaHead(v, 0)).toBe(0xfffffff0);
  });
});
