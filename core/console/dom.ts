/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="dom.asynciterable" />
/** Tiny DOM helpers for the console: elements are built, never parsed from strings. */

type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: Node[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  el.append(...children);
  return el;
}

/** An ISO time, or undefined when `ms` is no time a Date can hold (the console never throws on stored data). */
export function isoTime(ms: number | string | undefined): string | undefined {
  const n = Number(ms ?? 0);
  const date = new Date(n);
  return Number.isFinite(n) && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

/** "2026-01-02 03:04:05 UTC"; "—" when not set; "invalid date" for a value no date can hold. */
export function when(ms: number | string | undefined): string {
  const n = Number(ms ?? 0);
  if (n === 0) return '—';
  const iso = isoTime(n);
  if (!iso || n < 0) return 'invalid date';
  return iso.replace('T', ' ').slice(0, 19) + ' UTC';
}

export function seconds(ms: number | string | undefined): string {
  return `${(Number(ms ?? 0) / 1000).toFixed(1)} s`;
}

/** "REVIEW_STATE_IN_REVIEW" → "in review". */
export function enumLabel(value: string | undefined, prefix: string): string {
  return String(value ?? '')
    .replace(prefix, '')
    .toLowerCase()
    .replace(/_/g, ' ');
}

/**
 * Announces a message to screen readers and shows it in the status bar. The bar is cleared when
 * the user moves to another page, unless `keepOnNextPage` (a message about the move itself, such
 * as "Confirmed; here is the next item").
 */
export function announce(message: string, kind: 'info' | 'error' = 'info', keepOnNextPage = false): void {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = message;
  status.dataset.kind = kind;
  if (keepOnNextPage) status.dataset.keep = 'true';
  else delete status.dataset.keep;
}

/** Clears the status bar on navigation, except a message meant for the next page (kept once). */
export function clearStatusOnNavigation(): void {
  const status = document.getElementById('status');
  if (!status) return;
  if (status.dataset.keep === 'true') {
    delete status.dataset.keep;
    return;
  }
  status.textContent = '';
  delete status.dataset.kind;
}

/** A labelled form field. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', {}, hint) : null);
}

/** Saves `blob` as a file named `name` (the browser's download). */
export function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}
