/// <reference lib="dom" />
import { roleToJSON } from '../../../proto/gen/zebra/v1/admin_service.js';
import { ROLE_NAMES, roleNameOf, roleOf } from '../../../proto/roles.js';
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

/**
 * People and their enrolment. An admin never holds anyone's token: it hands over a one-time
 * enrolment code, and the person redeems it for their own token at sign-in.
 */
export async function renderAdmin(_session: Session, main: HTMLElement): Promise<void> {
  const { users = [] } = await api<{ users?: User[] }>('AdminService/ListUsers');
  const userId = h('input', { type: 'text', name: 'user', required: true, pattern: '[a-z0-9][a-z0-9._-]{1,62}' });
  const name = h('input', { type: 'text', name: 'name' });
  const boxes = ROLE_NAMES.map((r) => h('input', { type: 'checkbox', name: 'role', value: r, id: `role-${r}` }));
  const codeOut = h('div', { 'aria-live': 'polite' });
  const showCode = (id: string, code: { enrolmentCode: string; enrolmentExpiresAtMs: string }): void => {
    codeOut.replaceChildren(
      h(
        'div',
        { class: 'card' },
        h(
          'p',
          {},
          `One-time enrolment code for ${id}, valid until ${when(code.enrolmentExpiresAtMs)}. It is shown once: ` +
            'hand it to them in person; they enter it on the sign-in page.',
        ),
        h('pre', { class: 'token' }, code.enrolmentCode),
      ),
    );
  };
  const reset = async (id: string): Promise<void> => {
    try {
      showCode(
        id,
        await api<{ enrolmentCode: string; enrolmentExpiresAtMs: string }>('AdminService/ResetEnrolment', {
          userId: id,
        }),
      );
      announce(`Every token of ${id} is revoked; they enrol again with the new code.`);
    } catch (err) {
      announce(`Could not reset: ${(err as Error).message}`, 'error');
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
            ['User', 'Name', 'Roles', 'Since', 'Enrolment'].map((t) => h('th', { scope: 'col' }, t)),
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
              h('td', {}, u.roles.map((r) => roleNameOf(r) ?? r).join(', ')),
              h('td', {}, when(u.createdAtMs)),
              h(
                'td',
                {},
                h(
                  'button',
                  { type: 'button', onclick: () => void reset(u.userId) },
                  `New enrolment code for ${u.userId}`,
                ),
              ),
            ),
          ),
        ),
      ),
    ),
    codeOut,
    h(
      'form',
      {
        class: 'card',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const roles = ROLE_NAMES.filter((_, i) => boxes[i]!.checked).map((r) => roleToJSON(roleOf(r)));
          const id = userId.value.trim();
          void api<{ enrolmentCode: string; enrolmentExpiresAtMs: string }>('AdminService/CreateUser', {
            userId: id,
            displayName: name.value,
            roles,
          }).then(
            (created) => {
              announce(`Added ${id}.`);
              showCode(id, created);
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
