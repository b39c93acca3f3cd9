/// <reference lib="dom" />
import { announce, field, h } from '../dom.js';
import { keyIdOfPem } from '../verify.js';

/**
 * The log key an auditor pinned: pasted or loaded from a file they got out of band, kept in
 * this browser's localStorage. Verification uses it and never a key the audited server sends.
 */
const PINNED_KEY = 'zebra-audit-pinned-key';
const MAX_PEM_CHARS = 4096;

export function pinnedKeyPem(): string | undefined {
  return localStorage.getItem(PINNED_KEY) ?? undefined;
}

async function importable(pem: string): Promise<string> {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem) || !body) throw new Error('that is not a PEM public key');
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  await crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
  return keyIdOfPem(pem);
}

/**
 * The panel: the pinned key's fingerprint (compare it with the one you were given), a box to
 * paste a key, a file picker, and Forget. `onChange` runs after the pinned key changes.
 */
export async function pinnedKeyPanel(onChange: () => void, serverKeyId?: string): Promise<HTMLElement> {
  const panel = h('section', { class: 'card', 'aria-labelledby': 'pinned-key-title' });
  const paste = h('textarea', { name: 'pinned-key', rows: 4, spellcheck: 'false' });
  const file = h('input', { type: 'file', name: 'pinned-key-file', accept: '.pem,.pub,text/plain' });
  const pin = async (pem: string): Promise<void> => {
    try {
      if (pem.length > MAX_PEM_CHARS) throw new Error(`a public key is under ${MAX_PEM_CHARS} characters`);
      const id = await importable(pem.trim());
      localStorage.setItem(PINNED_KEY, pem.trim());
      announce(`Pinned the log key ${id}.`);
      panel.replaceWith(await pinnedKeyPanel(onChange, serverKeyId));
      onChange();
    } catch (err) {
      announce(`Not pinned: ${(err as Error).message}.`, 'error');
    }
  };
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) void f.text().then(pin);
  });
  const pem = pinnedKeyPem();
  const id = pem ? await keyIdOfPem(pem).catch(() => undefined) : undefined;
  const state = id
    ? h(
        'p',
        { class: 'pinned' },
        'Pinned log key, fingerprint ',
        h('strong', { class: 'fingerprint' }, id),
        '. Check it against the fingerprint you were given.',
        serverKeyId && serverKeyId !== id
          ? h('strong', { class: 'warning' }, ` The server now signs with another key (${serverKeyId}).`)
          : null,
      )
    : h(
        'p',
        { class: 'warning' },
        'No log key is pinned in this browser. Paste the public key you were given (or load its file); ' +
          'the console never trusts a key from the server it is auditing.',
      );
  // Hidden (not a closed <details>) while a key is pinned: nothing of it is laid out until asked for.
  const form = h(
    'div',
    { class: 'pin-form', hidden: Boolean(id) },
    field('Public key (PEM)', paste, 'e.g. from `zebra audit public-key`, obtained out of band'),
    h('button', { type: 'button', onclick: () => void pin(paste.value) }, 'Pin this key'),
    field('Or load the key file', file),
  );
  panel.append(
    h('h2', { id: 'pinned-key-title' }, 'Pinned log key'),
    state,
    form,
    id
      ? h(
          'button',
          {
            type: 'button',
            'aria-expanded': 'false',
            onclick: (e: Event) => {
              form.hidden = !form.hidden;
              (e.currentTarget as HTMLElement).setAttribute('aria-expanded', String(!form.hidden));
            },
          },
          'Pin another key',
        )
      : '',
    id
      ? h(
          'button',
          {
            type: 'button',
            onclick: () => {
              localStorage.removeItem(PINNED_KEY);
              announce('The pinned key is forgotten.');
              void pinnedKeyPanel(onChange, serverKeyId).then((p) => panel.replaceWith(p));
              onChange();
            },
          },
          'Forget the pinned key',
        )
      : '',
  );
  return panel;
}
