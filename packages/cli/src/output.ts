/**
 * Output for the kchan CLI: coloured, aligned lines for people, or one JSON
 * object per line (`--json`) for programs. Colour follows NO_COLOR /
 * FORCE_COLOR and whether stdout is a terminal.
 */
import type { Writable } from 'node:stream';

export type Colour = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray' | 'bold';

const CODES: Record<Colour, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
  bold: [1, 22],
};

/** A JSON-serialisable event record; bigint values are written as decimal strings. */
export type EventRecord = Record<string, unknown> & { device: string; kind: string };

export interface PrinterOptions {
  json: boolean;
  colour?: boolean;
  out?: Writable;
}

function wantColour(out: Writable): boolean {
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false;
  const force = process.env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0';
  return (out as Writable & { isTTY?: boolean }).isTTY === true;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export class Printer {
  readonly json: boolean;
  private readonly colour: boolean;
  private readonly out: Writable;
  private readonly counts = new Map<string, number>();

  constructor(opts: PrinterOptions) {
    this.json = opts.json;
    this.out = opts.out ?? process.stdout;
    this.colour = !opts.json && (opts.colour ?? wantColour(this.out));
  }

  paint(colour: Colour, text: string): string {
    if (!this.colour) return text;
    const [on, off] = CODES[colour];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  }

  /** One event: `human` is the people-readable line, `record` the JSON form. */
  event(record: EventRecord, human: string, colour: Colour = 'cyan'): void {
    const key = `${record.device}/${record.kind}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.json) {
      this.out.write(JSON.stringify({ time: new Date().toISOString(), ...record }, jsonReplacer) + '\n');
      return;
    }
    const stamp = this.paint('gray', new Date().toISOString().slice(11, 23));
    const dev = this.paint(colour, record.device.padEnd(11));
    this.out.write(`${stamp} ${dev} ${human}\n`);
  }

  /** A warning in the stream (overrun, loss); counted like an event. */
  warn(record: EventRecord, human: string): void {
    this.event(record, this.paint('yellow', human), 'yellow');
  }

  /** A status line for people (suppressed in JSON mode). */
  note(text: string): void {
    if (!this.json) this.out.write(this.paint('gray', text) + '\n');
  }

  /** Event counts so far, by device/kind. */
  totals(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort());
  }

  summary(): void {
    const totals = this.totals();
    if (this.json) {
      this.out.write(JSON.stringify({ time: new Date().toISOString(), device: 'kchan', kind: 'summary', counts: totals }) + '\n');
      return;
    }
    const parts = Object.entries(totals).map(([k, v]) => `${k}=${v}`);
    this.note(`-- ${parts.length ? parts.join(' ') : 'no events'}`);
  }
}

/** `0x…` hex for addresses. */
export function hex(value: bigint | number): string {
  return '0x' + value.toString(16);
}
