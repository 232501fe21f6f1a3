// kefu's pages' small tools, shared by the staff's console (app.js) and the
// owners' page (owner.js): elements built from data as text (never HTML),
// money in fen, request keys.
'use strict';

const $ = (selector, root) => (root || document).querySelector(selector);

// An element from its tag, attributes and children: data is set as text,
// never as HTML, so nothing a reporter typed can run.
function h(tag, attrs, ...children) {
  const element = document.createElementNS(tag === 'svg' || attrs?.svg ? 'http://www.w3.org/2000/svg'
                                           : 'http://www.w3.org/1999/xhtml', tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false || name === 'svg') continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'value' && 'value' in element) element.value = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}
const svg = (tag, attrs, ...children) => h(tag, { ...attrs, svg: true }, ...children);
// An element's children replaced; nothing shown for null or false.
const fill = (element, ...children) =>
  element.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));

// Money is fen, as strings in JSON: no floats on the way.
function yuan(fen) {
  const n = BigInt(fen || 0), a = n < 0n ? -n : n;
  return (n < 0n ? '-' : '') + '¥' + (a / 100n) + '.' + String(a % 100n).padStart(2, '0');
}
// A key for a request that must happen once (a filing): made when the form is.
const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
