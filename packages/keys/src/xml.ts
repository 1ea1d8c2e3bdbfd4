// A small non-validating XML 1.0 reader for CPIX documents: elements, attributes, text, CDATA,
// comments, processing instructions and the five predefined and numeric character references.
// A DOCTYPE is refused (no entity expansion, no external entities); size and depth are bounded.
// Names keep their prefix (`cpix:ContentKey`); `local` drops it, since prefixes vary by producer.
import { KeyError } from './key-error.ts';

export interface XmlElement {
  name: string;
  local: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data (text and CDATA), concatenated. */
  text: string;
}

const MAX_SIZE = 4 * 1024 * 1024;
const MAX_DEPTH = 64;
const NAME = /^[A-Za-z_][\w.:-]*/;
const ATTR = /^([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function fail(message: string, at: number): never {
  throw new KeyError('keys.invalid', `XML: ${message} at ${at}`);
}

function decode(s: string, at: number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);|&/g, (m, ref: string | undefined) => {
    if (!ref) fail('bare &', at);
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    const e = ENTITIES[ref];
    if (e === undefined) fail(`unknown entity ${m}`, at);
    return e;
  });
}

const localOf = (name: string) => name.slice(name.indexOf(':') + 1);

export function parseXml(xml: string): XmlElement {
  if (xml.length > MAX_SIZE) throw new KeyError('keys.invalid', `XML document of ${xml.length} characters is larger than ${MAX_SIZE}`);
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const skipTo = (end: string, what: string) => {
    const j = xml.indexOf(end, i);
    if (j < 0) fail(`unterminated ${what}`, i);
    const body = xml.slice(i, j);
    i = j + end.length;
    return body;
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    const top = stack.at(-1);
    if (top) top.text += decode(text, i);
    else if (text.trim()) fail('text outside the root element', i);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      i += 4;
      skipTo('-->', 'comment');
    } else if (xml.startsWith('<![CDATA[', i)) {
      i += 9;
      const body = skipTo(']]>', 'CDATA');
      if (!top) fail('CDATA outside the root element', i);
      top.text += body;
    } else if (xml.startsWith('<?', i)) {
      i += 2;
      skipTo('?>', 'processing instruction');
    } else if (xml.startsWith('<!', i)) {
      fail('DOCTYPE and declarations are not accepted', i);
    } else if (xml.startsWith('</', i)) {
      i += 2;
      const name = skipTo('>', 'end tag').trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not close <${open?.name ?? ''}>`, i);
    } else {
      i += 1;
      const name = NAME.exec(xml.slice(i, i + 256))?.[0];
      if (!name) fail('element without a name', i);
      i += name.length;
      const el: XmlElement = { name, local: localOf(name), attrs: {}, children: [], text: '' };
      for (;;) {
        const ws = /^\s*/.exec(xml.slice(i, i + 1024))?.[0].length ?? 0;
        i += ws;
        if (xml.startsWith('/>', i) || xml.startsWith('>', i)) break;
        if (ws === 0) fail('expected whitespace before an attribute', i);
        const m = ATTR.exec(xml.slice(i, i + 65536));
        if (!m) fail(`malformed attribute in <${name}>`, i);
        const attr = m[1] as string;
        if (attr in el.attrs) fail(`duplicate attribute ${attr}`, i);
        el.attrs[attr] = decode(m[2] ?? m[3] ?? '', i);
        i += m[0].length;
      }
      const selfClosing = xml.startsWith('/>', i);
      i += selfClosing ? 2 : 1;
      if (top) top.children.push(el);
      else if (root) fail('more than one root element', i);
      else root = el;
      if (!selfClosing) {
        stack.push(el);
        if (stack.length > MAX_DEPTH) fail('elements nested too deep', i);
      }
    }
  }
  if (stack.length) fail(`<${stack.at(-1)?.name}> is not closed`, i);
  if (!root) fail('no root element', 0);
  return root;
}

/** Child elements by local name. */
export function childrenNamed(el: XmlElement, local: string): XmlElement[] {
  return el.children.filter((c) => c.local === local);
}

export function childNamed(el: XmlElement, local: string): XmlElement | undefined {
  return el.children.find((c) => c.local === local);
}
