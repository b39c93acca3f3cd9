/// <reference lib="dom" />
import { api } from '../api.js';
import { announce, field, h, when } from '../dom.js';

export function renderSignIn(main: HTMLElement, signIn: (token: string) => Promise<void>): void {
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void signIn(input.value.trim());
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste your API token. It is kept for this browser tab only.'),
    field('API token', input),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  main.append(form, enrolForm(signIn));
}

/** First time: redeem the one-time code an administrator handed over for a token of your own. */
function enrolForm(signIn: (token: string) => Promise<void>): HTMLElement {
  const code = h('input', { type: 'text', name: 'code', autocomplete: 'off', required: true, spellcheck: 'false' });
  const out = h('div', { 'aria-live': 'polite' });
  return h(
    'form',
    {
      class: 'card narrow',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void api<{ token: string; expiresAtMs: string }>('EnrolmentService/Enrol', {
          code: code.value.trim(),
          label: 'console',
        }).then(
          ({ token, expiresAtMs }) =>
            out.replaceChildren(
              h(
                'p',
                {},
                `Your token, valid until ${when(expiresAtMs)}. It is shown once: keep it in a password manager; you sign in with it.`,
              ),
              h('pre', { class: 'token' }, token),
              h('button', { type: 'button', class: 'primary', onclick: () => void signIn(token) }, 'Continue'),
            ),
          (err: Error) => announce(`Could not enrol: ${err.message}`, 'error'),
        );
      },
    },
    h('h2', {}, 'First time here?'),
    h('p', {}, 'Enter the one-time enrolment code your administrator gave you to get your own token.'),
    field('Enrolment code', code),
    h('button', { type: 'submit' }, 'Enrol'),
    out,
  );
}
