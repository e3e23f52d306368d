/*
 * The DOM helpers both report pages use (report.js, fleet.js). Not a script of its own:
 * readPageAssets (src/report/page-assets.ts) writes it in place of the line `/* include dom.js *\/`
 * inside each page script's function, so every page stays one self-contained HTML file and these
 * functions see that page's `root` (the #report element).
 * Every string is rendered with textContent (el() below), never as HTML.
 */
  /** el('p', {class: 'x'}, 'text', child…): strings become text nodes. */
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k) && attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, String(attrs[k]));
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  }
  function append(e, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { for (var i = 0; i < c.length; i++) append(e, c[i]); return; }
    e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  function num(n) { return Number(n).toLocaleString('en-US'); }
  function plural(n, one, many) { return num(n) + ' ' + (n === 1 ? one : (many || one + 's')); }
  /** Seconds since the epoch as `YYYY-MM-DD hh:mm:ssZ`; — for none. */
  function time(sec) {
    if (sec === null || sec === undefined) return '—';
    var s = new Date(sec * 1000).toISOString();
    return s.slice(0, 10) + ' ' + s.slice(11, 19) + 'Z';
  }
  /** A figure of the summary row: its number (data-num=key, read by the tests) and its label. */
  function figure(key, value, label) {
    return el('div', { class: 'figure' }, el('span', { class: 'value', 'data-num': key }, num(value)), el('span', { class: 'label' }, label));
  }
  /** A new section of the page, appended to root. */
  function section(id, title) {
    var s = el('section', { id: id }, el('h2', null, title));
    root.appendChild(s);
    return s;
  }
