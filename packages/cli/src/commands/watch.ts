/**
 * `kchan watch [net|module|kapi|all]`: stream watch_queue notifications.
 */
import { WatchQueue, type Notification } from '@kchan/ring';
import { WATCH_TYPE_KAPI, WATCH_TYPE_MODULE, WATCH_TYPE_NETDEV } from '@kchan/uapi';

import { UsageError, type CommonOptions } from '../cli.js';
import type { EventRecord } from '../output.js';

/** Source names on the command line → watch type; the watch id is the type. */
export const SOURCES: Record<string, number> = {
  net: WATCH_TYPE_NETDEV,
  module: WATCH_TYPE_MODULE,
  kapi: WATCH_TYPE_KAPI,
};

export interface WatchOptions {
  sources: string[];
  pages: number;
}

export function sourceTypes(names: string[]): number[] {
  const list = names.length === 0 ? ['all'] : names;
  const types = new Set<number>();
  for (const name of list) {
    if (name === 'all') Object.values(SOURCES).forEach((t) => types.add(t));
    else if (name in SOURCES) types.add(SOURCES[name] as number);
    else throw new UsageError(`unknown watch source '${name}' (net, module, kapi or all)`);
  }
  return [...types];
}

/** The JSON record and the human line for one notification. */
export function describe(n: Notification): { record: EventRecord; human: string; warn: boolean } {
  const base = { device: 'watch_queue', id: n.id, overrun: n.overrun };
  switch (n.kind) {
    case 'netdev':
      return {
        record: { ...base, kind: 'netdev', event: n.event ?? n.subtype, name: n.name, ifindex: n.ifindex, flags: n.flags },
        human: `netdev ${String(n.event ?? n.subtype).padEnd(11)} ${n.name} (ifindex ${n.ifindex}, flags 0x${n.flags.toString(16)})`,
        warn: false,
      };
    case 'module':
      return {
        record: { ...base, kind: 'module', event: n.event ?? n.subtype, name: n.name },
        human: `module ${String(n.event ?? n.subtype).padEnd(11)} ${n.name}`,
        warn: false,
      };
    case 'kapi': {
      const bytes = Buffer.from(n.payload.buffer, n.payload.byteOffset, Math.min(n.payload.byteLength, 16));
      return {
        record: { ...base, kind: 'kapi', subtype: n.subtype, typeFlags: n.typeFlags, length: n.payload.byteLength, payload: Buffer.from(n.payload).toString('hex') },
        human: `kapi   subtype ${n.subtype} flags 0x${n.typeFlags.toString(16)} ${n.payload.byteLength} bytes ${bytes.toString('hex')}${n.payload.byteLength > 16 ? '…' : ''}`,
        warn: false,
      };
    }
    case 'loss':
      return { record: { ...base, kind: 'loss', lost: n.lost }, human: `overrun: ${n.lost} notification(s) lost`, warn: true };
    case 'removal':
      return { record: { ...base, kind: 'removal' }, human: `watch ${n.id} removed`, warn: false };
    default:
      return {
        record: { ...base, kind: 'unknown', type: n.type, subtype: n.subtype, info: n.info },
        human: `type ${n.type} subtype ${n.subtype} info 0x${n.info.toString(16)}`,
        warn: false,
      };
  }
}

export async function runWatch({ printer, signal, count }: CommonOptions, opts: WatchOptions): Promise<void> {
  const types = sourceTypes(opts.sources);
  const wq = WatchQueue.open({ pages: opts.pages });
  const onAbort = (): void => wq.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (const t of types) wq.addWatch(t, t);
    printer.note(`watching ${opts.sources.length ? opts.sources.join(', ') : 'all'} on /dev/watch_queue (${opts.pages} page ring)`);
    let seen = 0;
    for await (const n of wq.notifications({ signal })) {
      const { record, human, warn } = describe(n);
      if (warn) printer.warn(record, human);
      else printer.event(record, human, 'cyan');
      if (count !== undefined && ++seen >= count) break;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    wq.close();
  }
}
