/// <reference lib="dom" />
import { storedToken } from '../api.js';
import { announce, download, field, h } from '../dom.js';

/** Fetches an event's evidence package (the request is audited with its purpose) and saves it. */
export async function downloadPackage(eventId: string, purpose: string, name: string): Promise<void> {
  announce('Preparing the evidence package…');
  const res = await fetch(`/api/events/${encodeURIComponent(eventId)}/evidence-package.pdf`, {
    headers: { authorization: `Bearer ${storedToken()}`, 'x-zebra-purpose': purpose },
    cache: 'no-store',
  });
  if (!res.ok) {
    const json = (await res.json().catch(() => ({}))) as { error?: string };
    throw new Error(json.error ?? `HTTP ${res.status}`);
  }
  download(name, await res.blob());
  announce(`Saved ${name}. Check it offline: zebra audit verify ${name} --public-key audit.pub.pem`);
}

/**
 * The form: a purpose (recorded in the audit log) and the button. With no `eventId`, it asks
 * for the event id too (people who reach an event by its id, e.g. from a letter or an appeal).
 */
export function packageForm(eventId?: string, fileName?: string): HTMLElement {
  const purpose = h('input', { type: 'text', name: 'purpose', required: true, maxlength: 200 });
  const idInput = eventId ? undefined : h('input', { type: 'text', name: 'package-event', required: true, size: 40 });
  return h(
    'form',
    {
      class: 'card',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const id = eventId ?? idInput!.value.trim();
        void downloadPackage(id, purpose.value.trim(), fileName ?? `zebra-evidence-${id.slice(0, 8)}.pdf`).catch(
          (err: Error) => announce(`No evidence package: ${err.message}`, 'error'),
        );
      },
    },
    h('h2', {}, 'Evidence package'),
    h(
      'p',
      {},
      'A PDF with the redacted keyframes, the signal, the rule, the decisions and the custody story with its proofs, for a court or the person flagged, once the review is over. It is recorded in the log.',
    ),
    idInput ? field('Which event (its id)', idInput) : null,
    field('Purpose', purpose, 'Why you print it; recorded in the audit log'),
    h('button', { type: 'submit' }, 'Download the evidence package (PDF)'),
  );
}
