// The rows of docs/serial-log.md's tables (`| \`L tag: message key= ...\` | meaning | labs / layer |`), and which
// row documents a given log line, so a test can check that the row names every exercise that quotes the line.

/** A key a documented line names: `key=` (or `key=value`), optional when written `[key=]`. */
export interface DocKey {
  name: string;
  optional: boolean;
}

/** The keys named after a documented line's fixed message, in order. */
export function docKeys(rest: string): DocKey[] {
  return [...rest.matchAll(/(?:^|\s)(\[)?([A-Za-z_][\w]*)=/g)].map((m) => ({ name: m[2], optional: m[1] === "[" }));
}

export interface Row {
  /** 1-based line in docs/serial-log.md. */
  line: number;
  /**
   * Each documented line in the first cell: tag, fixed message (`state <a>-><b>` stands for any transition), and the
   * keys it names in order (`[key=]` is optional).
   */
  lines: { tag: string; message: string; keys: DocKey[] }[];
  /** The exercises in the last cell (`1, 2 / T` -> [1, 2]; `- / A` -> []). */
  labs: number[];
}

/** The fixed message of a documented line: what is left once the trailing `key=`, `key=value` and `...` are gone. */
function fixedMessage(text: string): string {
  let rest = text.trim();
  for (let guard = 0; guard < 32; guard++) {
    const next = rest.replace(/\s+(?:\.\.\.|\(\.\.\.\)|\[[^\]]*\]|[A-Za-z_][\w.]*=\S*)$/, "");
    if (next === rest) break;
    rest = next;
  }
  return rest;
}

export function parseRows(markdown: string): Row[] {
  const rows: Row[] = [];
  markdown.split(/\r?\n/).forEach((text, index) => {
    if (!text.startsWith("| `")) return;
    const cells = text.split(/\s\|\s/);
    const first = cells[0].slice(1);
    const last = cells[cells.length - 1].replace(/\|\s*$/, "").trim();
    const lines = [...first.matchAll(/`([EWID]) ([\w.]+): ([^`]*)`/g)].map((m) => {
      const message = fixedMessage(m[3]);
      return { tag: m[2], message, keys: docKeys(m[3].trim().slice(message.length)) };
    });
    const labs = (last.split("/")[0].match(/\d+/g) ?? []).map(Number);
    rows.push({ line: index + 1, lines, labs });
  });
  return rows;
}

function sameMessage(documented: string, printed: string): boolean {
  if (!documented.includes("<a>-><b>")) return documented === printed;
  const [before, after] = documented.split("<a>-><b>");
  return new RegExp("^" + escape(before) + "\\S+->\\S+" + escape(after) + "$").test(printed);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The row documenting a printed line; a row naming the exact transition wins over `state <a>-><b>`. */
export function rowFor(rows: Row[], tag: string, message: string): Row | undefined {
  const candidates = rows.filter((row) => row.lines.some((l) => l.tag === tag && sameMessage(l.message, message)));
  return candidates.find((row) => row.lines.some((l) => l.tag === tag && l.message === message)) ?? candidates[0];
}
