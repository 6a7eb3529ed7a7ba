// Typed notifications for the WatchQueue async iterator (allocates one
// object per notification; the zero-copy path is RingReader.consume()).
import {
  WATCH_META_LOSS_NOTIFICATION,
  WATCH_META_REMOVAL_NOTIFICATION,
  WATCH_TYPE_KAPI,
  WATCH_TYPE_META,
  WATCH_TYPE_MODULE,
  WATCH_TYPE_NETDEV,
  WatchModuleNotificationLayout,
  WatchNetdevNotificationLayout,
  watchModuleNotificationName,
  watchNetdevNotificationFlags,
  watchNetdevNotificationIfindex,
  watchNetdevNotificationName,
} from '@kchan/uapi';
import type { RingEntry } from './reader.js';

export type NetdevEvent = 'register' | 'unregister' | 'up' | 'down' | 'change_name';
export type ModuleEvent = 'coming' | 'live' | 'going';

const NETDEV_EVENTS: readonly NetdevEvent[] = ['register', 'unregister', 'up', 'down', 'change_name'];
const MODULE_EVENTS: readonly ModuleEvent[] = ['coming', 'live', 'going'];

/** Fields every notification carries. */
export interface NotificationBase {
  /** WATCH_TYPE_* */
  type: number;
  subtype: number;
  /** The raw info word. */
  info: number;
  /** Id of the watch that produced it (WATCH_INFO_ID). */
  id: number;
  /** Notifications were lost just before this one. */
  overrun: boolean;
}

export interface NetdevNotification extends NotificationBase {
  kind: 'netdev';
  /** Undefined for a subtype this version does not know. */
  event: NetdevEvent | undefined;
  ifindex: number;
  /** IFF_* flags after the event. */
  flags: number;
  name: string;
}

export interface ModuleNotification extends NotificationBase {
  kind: 'module';
  event: ModuleEvent | undefined;
  name: string;
}

export interface KapiNotification extends NotificationBase {
  kind: 'kapi';
  typeFlags: number;
  /** A copy of the payload (the entry's slots after the header, zero-padded). */
  payload: Uint8Array;
}

/** META/REMOVAL: the watch `id` was removed. */
export interface RemovalNotification extends NotificationBase {
  kind: 'removal';
}

/** META/LOSS: `lost` notifications were dropped before the next one (overrun). */
export interface LossNotification extends NotificationBase {
  kind: 'loss';
  lost: number;
}

/** A type or META subtype this version does not decode. */
export interface UnknownNotification extends NotificationBase {
  kind: 'unknown';
  payload: Uint8Array;
}

export type Notification =
  | NetdevNotification
  | ModuleNotification
  | KapiNotification
  | RemovalNotification
  | LossNotification
  | UnknownNotification;

/** Decode the reader's current entry into a fresh object. */
export function decodeEntry(e: RingEntry): Notification {
  const base: NotificationBase = { type: e.type, subtype: e.subtype, info: e.info, id: e.id, overrun: e.overrun };
  const v = e.view;
  const o = e.offset;
  switch (e.type) {
    case WATCH_TYPE_NETDEV:
      if (e.byteLength >= WatchNetdevNotificationLayout.size) {
        return {
          ...base,
          kind: 'netdev',
          event: NETDEV_EVENTS[e.subtype],
          ifindex: watchNetdevNotificationIfindex(v, o),
          flags: watchNetdevNotificationFlags(v, o),
          name: watchNetdevNotificationName(v, o),
        };
      }
      break;
    case WATCH_TYPE_MODULE:
      if (e.byteLength >= WatchModuleNotificationLayout.size) {
        return { ...base, kind: 'module', event: MODULE_EVENTS[e.subtype], name: watchModuleNotificationName(v, o) };
      }
      break;
    case WATCH_TYPE_KAPI:
      return { ...base, kind: 'kapi', typeFlags: e.typeFlags, payload: e.payload() };
    case WATCH_TYPE_META:
      if (e.subtype === WATCH_META_LOSS_NOTIFICATION) return { ...base, kind: 'loss', lost: e.lost };
      if (e.subtype === WATCH_META_REMOVAL_NOTIFICATION) return { ...base, kind: 'removal' };
      break;
  }
  return { ...base, kind: 'unknown', payload: e.payload() };
}
