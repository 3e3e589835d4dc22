// Go's text/tabwriter as docker uses it for tables: tab-terminated cells aligned in column
// blocks, minwidth 10 (or 0), padding 3, padded with spaces, the last cell of a line unpadded.

export interface TabwriterOptions {
  minWidth?: number;
  padding?: number;
}

function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Align `text` (lines of tab-separated cells) the way tabwriter.NewWriter(w, min, 1, pad, ' ', 0) does. */
export function tabwrite(text: string, opts: TabwriterOptions = {}): string {
  const minWidth = opts.minWidth ?? 10;
  const padding = opts.padding ?? 3;
  const endsWithNewline = text.endsWith('\n');
  const rawLines = (endsWithNewline ? text.slice(0, -1) : text).split('\n');
  const lines = rawLines.map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i] as string[];
      let s = '';
      cells.forEach((c, j) => {
        s += c;
        if (j < cells.length - 1 && j < widths.length) s += ' '.repeat(Math.max(0, (widths[j] as number) - width(c)));
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number, column: number): number => {
    let start = line0;
    for (let t = line0; t < line1; t++) {
      const cells = lines[t] as string[];
      if (column >= cells.length - 1) continue;
      writeLines(start, t);
      start = t;
      let w = minWidth;
      let end = t;
      for (; end < line1; end++) {
        const cs = lines[end] as string[];
        if (column >= cs.length - 1) break;
        const cw = width(cs[column] as string) + padding;
        if (cw > w) w = cw;
      }
      widths.push(w);
      start = format(start, end, column + 1);
      widths.pop();
      t = end - 1;
    }
    writeLines(start, line1);
    return line1;
  };

  format(0, lines.length, 0);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
