/**
 * `kchan kue`: tail /dev/kue.
 */
import { KueReader } from '@kchan/kue';

import type { CommonOptions } from '../cli.js';

/** Printable form of a payload: text when it is text, else hex. */
export function payloadText(payload: Uint8Array): string {
  const printable = payload.every((b) => b === 9 || b === 10 || (b >= 32 && b < 127) || b === 0);
  if (printable) return JSON.stringify(Buffer.from(payload).toString('latin1').replace(/\0+$/, ''));
  const hexed = Buffer.from(payload.subarray(0, 24)).toString('hex');
  return payload.byteLength > 24 ? `${hexed}…` : hexed;
}

export async function runKue({ printer, signal, count }: CommonOptions): Promise<void> {
  const reader = KueReader.open();
  try {
    printer.note('tailing /dev/kue');
    let seen = 0;
    for await (const msg of reader.messages({ signal })) {
      if (msg.lost > 0) {
        printer.warn({ device: 'kue', kind: 'loss', lost: msg.lost, beforeSeq: msg.seq }, `${msg.lost} message(s) lost before seq ${msg.seq}`);
      }
      printer.event(
        { device: 'kue', kind: 'message', seq: msg.seq, size: msg.payload.byteLength, payload: Buffer.from(msg.payload).toString('base64') },
        `message seq ${msg.seq} (${msg.payload.byteLength} bytes) ${payloadText(msg.payload)}`,
        'magenta',
      );
      if (count !== undefined && ++seen >= count) break;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    reader.close();
  }
}
