/**
 * Reading papermill parameters (the cell tagged `parameters`) so the submit
 * dialog can pre-fill them.
 */

/** The notebook cell shape we need (nbformat JSON). */
export interface ICellLike {
  cell_type: string;
  source: string | string[];
  metadata?: { tags?: string[]; [key: string]: unknown };
}

/** The source of the first cell tagged `parameters`, or null. */
export function findParametersSource(cells: ReadonlyArray<ICellLike>): string | null {
  for (const cell of cells) {
    const tags = cell.metadata?.tags;
    if (cell.cell_type === 'code' && Array.isArray(tags) && tags.includes('parameters')) {
      return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
    }
  }
  return null;
}

/**
 * Turn a Python literal into a JSON value, for the simple literals found in
 * parameter cells; returns undefined for anything else (an expression).
 */
export function pythonLiteralToJSON(text: string): unknown {
  const literal = text.trim();
  if (!literal) {
    return undefined;
  }
  if (literal === 'True') {
    return true;
  }
  if (literal === 'False') {
    return false;
  }
  if (literal === 'None') {
    return null;
  }
  if (/^[-+]?(\d+(_\d+)*)?(\.\d*)?([eE][-+]?\d+)?$/.test(literal) && /\d/.test(literal)) {
    return Number(literal.replace(/_/g, ''));
  }
  const quoted = literal.match(/^(?:[rubf]{0,2})(['"])(.*)\1$/is);
  if (quoted && !literal.startsWith('"""') && !literal.startsWith("'''")) {
    const body = quoted[2];
    if (quoted[1] === '"') {
      try {
        return JSON.parse(`"${body}"`);
      } catch {
        return body;
      }
    }
    return body.replace(/\\'/g, "'").replace(/\\\\/g, '\\');
  }
  if (/^[[{(]/.test(literal)) {
    // Lists/dicts of JSON-like literals: swap Python words and quotes, then parse.
    const jsonish = literal
      .replace(/^\(/, '[')
      .replace(/\)$/, ']')
      .replace(/\bTrue\b/g, 'true')
      .replace(/\bFalse\b/g, 'false')
      .replace(/\bNone\b/g, 'null')
      .replace(/'([^'\\]*)'/g, '"$1"')
      .replace(/,\s*([\]}])/g, '$1');
    try {
      return JSON.parse(jsonish);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Parse `name = literal` lines of a parameters cell (comments and type
 * annotations allowed). Names bound to expressions are left out: the notebook
 * computes them itself.
 */
export function parseParameters(source: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const raw of source.split('\n')) {
    const line = stripComment(raw);
    const match = line.match(/^([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*(.+)$/);
    if (!match) {
      continue;
    }
    const value = pythonLiteralToJSON(match[2]);
    if (value !== undefined) {
      result[match[1]] = value;
    }
  }
  return result;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === '\\') {
        i++;
      } else if (ch === quote) {
        quote = null;
      }
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '#') {
      return line.slice(0, i).trimEnd();
    }
  }
  return line.trimEnd();
}

/** Parameters of a notebook (nbformat JSON content). */
export function notebookParameters(content: { cells?: ICellLike[] } | null | undefined): Record<string, unknown> {
  const source = findParametersSource(content?.cells ?? []);
  return source === null ? {} : parseParameters(source);
}
