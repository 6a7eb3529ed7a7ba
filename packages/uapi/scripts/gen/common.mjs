// Helpers shared by every output.

export const GENERATOR = 'packages/uapi/scripts/gen.mjs';
export const MARKER_TEXT = 'Do not edit: generated from';

/**
 * The "Do not edit" marker (as in ynl) on the first line of every generated
 * file, except C files, where it is the second line, after the SPDX tag that
 * checkpatch wants on line 1.
 */
export function marker(style, specPath, mode) {
  const text = `${MARKER_TEXT} ${specPath} by ${GENERATOR} (mode: ${mode})`;
  if (style === 'c') return `/* ${text} */`;
  if (style === '//') return `// ${text}`;
  if (style === '#') return `# ${text}`;
  if (style === 'md') return `<!-- ${text} -->`;
  throw new Error(`unknown marker style ${style}`);
}

/** Parse the marker in a generated file's first two lines; null if none. */
export function parseMarker(head) {
  const firstTwo = head.split('\n', 2).join('\n');
  const m = /Do not edit: generated from (\S+) by (\S+) \(mode: ([a-z0-9-]+)\)/.exec(firstTwo);
  return m ? { spec: m[1], generator: m[2], mode: m[3] } : null;
}

/** Collapse whitespace, keep paragraph breaks and list lines. */
export function paragraphs(text) {
  const out = [];
  let cur = [];
  let inItem = false;
  const flush = () => {
    if (cur.length) out.push(cur.join(' '));
    cur = [];
    inItem = false;
  };
  for (const raw of text.trim().split('\n')) {
    const line = raw.trim();
    if (!line) {
      flush();
      out.push('');
    } else if (/^([-*]|\d+\.)\s/.test(line)) {
      flush();
      cur.push(raw.trimEnd());
      inItem = true;
    } else if (inItem && !/^\s/.test(raw)) {
      // An unindented line after a list item starts a new paragraph.
      flush();
      cur.push(line);
    } else cur.push(line);
  }
  flush();
  return out;
}

/** Word-wrap one paragraph to `width`, continuation lines indented like list items. */
export function wrap(text, width) {
  const lead = /^(\s*(?:[-*]|\d+\.)\s+)/.exec(text);
  const hang = lead ? ' '.repeat(lead[1].length) : /^\s*/.exec(text)[0];
  const words = text.trim().split(/\s+/);
  const lines = [];
  let line = text.match(/^\s*/)[0];
  for (const w of words) {
    if (line.trim() && (line + ' ' + w).length > width) {
      lines.push(line);
      line = hang + w;
    } else line = line.trim() ? `${line} ${w}` : line + w;
  }
  if (line.trim()) lines.push(line);
  return lines;
}

/** Wrap a multi-paragraph text into lines. */
export function wrapText(text, width) {
  const lines = [];
  let prevItem = false;
  for (const p of paragraphs(text)) {
    const item = /^\s*([-*]|\d+\.)\s/.test(p);
    if (p === '') lines.push('');
    else {
      // A plain paragraph right after a list item gets its own blank line,
      // so Markdown and doc tools do not fold it into the item.
      if (prevItem && !item) lines.push('');
      lines.push(...wrap(p, width));
    }
    prevItem = item;
  }
  return lines;
}

/** One-line version of a doc string. */
export function oneLine(text) {
  return text.trim().replace(/\s+/g, ' ');
}

export const SPDX = '(GPL-2.0 WITH Linux-syscall-note) OR MIT';
