/// <reference lib="dom" />
import { field, h } from '../dom.js';

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
    h(
      'p',
      {},
      'Paste the API token your administrator issued you (zebra tokens issue). It is kept for this browser tab only.',
    ),
    field('API token', input),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  main.append(form);
}
