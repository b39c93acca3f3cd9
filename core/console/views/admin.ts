/// <reference lib="dom" />
import { api } from '../api.js';
import type { Session } from '../app.js';
import { announce, field, h, when } from '../dom.js';

interface User {
  userId: string;
  displayName: string;
  roles: string[];
  createdAtMs: string;
  disabled: boolean;
}

const ROLES = ['reviewer', 'supervisor', 'auditor', 'admin'];

/** People and their tokens. */
export async function renderAdmin(session: Session, main: HTMLElement): Promise<void> {
  const { users = [] } = await api<{ users?: User[] }>('AdminService/ListUsers');
  const userId = h('input', { type: 'text', name: 'user', required: true, pattern: '[a-z0-9][a-z0-9._-]{1,62}' });
  const name = h('input', { type: 'text', name: 'name' });
  const boxes = ROLES.map((r) => h('input', { type: 'checkbox', name: 'role', value: r, id: `role-${r}` }));
  const tokenOut = h('div', { 'aria-live': 'polite' });
  const issue = async (id: string): Promise<void> => {
    try {
      const { token, expiresAtMs } = await api<{ token: string; expiresAtMs: string }>('AdminService/IssueToken', {
        userId: id,
      });
      tokenOut.replaceChildren(
        h(
          'div',
          { class: 'card' },
          h('p', {}, `Token for ${id}, valid until ${when(expiresAtMs)}. It is shown once: hand it over now.`),
          h('pre', { class: 'token' }, token),
        ),
      );
    } catch (err) {
      announce(`Could not issue a token: ${(err as Error).message}`, 'error');
    }
  };
  main.append(
    h('h1', {}, 'People'),
    h(
      'div',
      { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'People (scrolls sideways)' },
      h(
        'table',
        { 'aria-label': 'People' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['User', 'Name', 'Roles', 'Since', 'Token'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          users.map((u) =>
            h(
              'tr',
              {},
              h('td', {}, u.userId),
              h('td', {}, u.displayName),
              h('td', {}, u.roles.map((r) => r.replace('ROLE_', '').toLowerCase()).join(', ')),
              h('td', {}, when(u.createdAtMs)),
              h(
                'td',
                {},
                h('button', { type: 'button', onclick: () => void issue(u.userId) }, `Issue token for ${u.userId}`),
              ),
            ),
          ),
        ),
      ),
    ),
    tokenOut,
    h(
      'form',
      {
        class: 'card',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const roles = boxes.filter((b) => b.checked).map((b) => `ROLE_${b.value.toUpperCase()}`);
          void api('AdminService/CreateUser', { userId: userId.value.trim(), displayName: name.value, roles }).then(
            () => {
              announce(`Added ${userId.value}.`);
              session.reload();
            },
            (err: Error) => announce(`Could not add: ${err.message}`, 'error'),
          );
        },
      },
      h('h2', {}, 'Add a person'),
      field('User id', userId, 'lower case letters, digits, . _ -'),
      field('Name', name),
      h(
        'fieldset',
        {},
        h('legend', {}, 'Roles'),
        boxes.map((b) => h('label', { for: b.id, class: 'check' }, b, b.value)),
      ),
      h('button', { type: 'submit', class: 'primary' }, 'Add'),
    ),
  );
}
