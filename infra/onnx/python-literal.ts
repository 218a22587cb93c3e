/**
 * @module infra/onnx/python-literal
 * Parses the Python literal reprs Ultralytics stores in ONNX metadata ("{0: 'person'}",
 * "[640, 640]", "True"). A small recursive-descent reader instead of regexes, because class
 * names may contain commas, colons and quotes (repr switches to double quotes for "men's").
 */

export type PyValue = string | number | boolean | null | PyValue[] | Map<string | number, PyValue>;

/** Throws a plain Error with the offset when `text` is not a dict/list/tuple/str/number/bool/None. */
export function parsePythonLiteral(text: string): PyValue {
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  const fail = (what: string): never => { throw new Error(`expected ${what} at offset ${i} of ${JSON.stringify(text.slice(0, 80))}`); };

  function value(): PyValue {
    ws();
    const c = text[i];
    if (c === '{') return dict();
    if (c === '[' || c === '(') return list(c === '[' ? ']' : ')');
    if (c === "'" || c === '"') return str(c);
    const word = /^(True|False|None|[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)/.exec(text.slice(i));
    if (!word) return fail('a value');
    i += word[0].length;
    return word[0] === 'True' ? true : word[0] === 'False' ? false : word[0] === 'None' ? null : Number(word[0]);
  }
  function items(close: string, item: () => void): void {
    i++;
    for (ws(); text[i] !== close; ws()) {
      item();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] !== close) fail(`',' or '${close}'`);
    }
    i++;
  }
  function dict(): PyValue {
    const out = new Map<string | number, PyValue>();
    items('}', () => {
      const key = value();
      if (typeof key !== 'string' && typeof key !== 'number') fail('a str or int key');
      ws();
      if (text[i++] !== ':') fail("':'");
      out.set(key as string | number, value());
    });
    return out;
  }
  function list(close: string): PyValue {
    const out: PyValue[] = [];
    items(close, () => out.push(value()));
    return out;
  }
  function str(quote: string): string {
    let out = '';
    for (i++; text[i] !== quote; i++) {
      if (i >= text.length) fail(`closing ${quote}`);
      if (text[i] === '\\') {
        const e = text[++i]!;
        const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
        if (hex > 0) {
          out += String.fromCodePoint(parseInt(text.slice(i + 1, i + 1 + hex), 16));
          i += hex;
        } else out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
      } else out += text[i];
    }
    i++;
    return out;
  }

  const result = value();
  ws();
  if (i !== text.length) fail('end of text');
  return result;
}
