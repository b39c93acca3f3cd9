import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { GetEventResponse, ListEventsResponse } from '../../proto/index.js';
import { evidencePackage } from '../evidence-package.js';
import { devicesList, tokensRevoke, usersList } from '../admin-lists.js';
import { devicesRevoke, tokensList, usersDisable } from '../admin-revocations.js';
import { auditCheckpoint, auditExport, auditPublicKey, auditVerify } from '../audit.js';
import {
  act,
  clientTls,
  seconds,
  withApiOptions,
  withHttpOption,
  withTlsOptions,
  wholeNumber,
} from '../command-kit.js';
import type { ApiOpts, TlsOpts } from '../command-kit.js';
import { devicesRegister } from '../devices.js';
import { fetchEvent, fetchEvents, fetchMissing, formatEventDetail, formatEventTable, resolveToken } from '../events.js';
import { quarantineList, quarantineShow } from '../quarantine.js';
import { ROLE_NAMES, isRoleName } from '../../proto/index.js';
import type { RoleName } from '../../proto/index.js';
import { MAX_TOKEN_DAYS, tokensIssue, usersAdd, usersEnrol, usersReset } from '../people.js';

function role(value: string, previous: RoleName[] | undefined): RoleName[] {
  if (!isRoleName(value)) throw new InvalidArgumentError(`must be one of ${ROLE_NAMES.join(', ')}`);
  return [...(previous ?? []), value];
}

const withJson = (c: Command): Command => c.option('--json', 'the API answer as JSON instead of a table');

async function eventsList(o: ApiOpts & { camera?: string; limit: number; json?: boolean }): Promise<number> {
  const token = await resolveToken(o.tokenFile, process.env);
  const page = await fetchEvents(o.server, token, await clientTls(o), o.limit, o.camera);
  process.stdout.write(
    o.json ? `${JSON.stringify(ListEventsResponse.toJSON(page), null, 2)}\n` : formatEventTable(page.events),
  );
  return 0;
}

async function eventsShow(o: ApiOpts & { json?: boolean }, [eventId]: string[]): Promise<number> {
  const token = await resolveToken(o.tokenFile, process.env);
  const response = await fetchEvent(o.server, token, await clientTls(o), eventId!);
  process.stdout.write(
    o.json ? `${JSON.stringify(GetEventResponse.toJSON(response), null, 2)}\n` : formatEventDetail(response),
  );
  return 0;
}

async function evidencePackageCommand(
  o: TlsOpts & { out: string; purpose: string; http: string; tokenFile?: string },
  args: string[],
): Promise<number> {
  return evidencePackage(o, args);
}

async function eventsFetchMissing(o: ApiOpts & { camera: string }, [deviceId]: string[]): Promise<number> {
  const token = await resolveToken(o.tokenFile, process.env);
  process.stdout.write(await fetchMissing(o.server, token, await clientTls(o), deviceId!, o.camera));
  return 0;
}

function registerEvents(program: Command): void {
  const events = program.command('events').description('infraction events');
  withJson(withApiOptions(events.command('list').description('the newest events (local times to the ms)')))
    .option('--camera <id>', 'only this camera')
    .option('--limit <n>', 'at most this many', wholeNumber(1, 1000), 50)
    .action(act(eventsList));
  withJson(withApiOptions(events.command('show').description('one event, in words; ids and hashes last')))
    .argument('<event-id>', 'the event')
    .action(act(eventsShow));
  withApiOptions(
    events.command('fetch-missing').description("(supervisor) look for a camera's gaps in its site's outbox"),
  )
    .argument('<device>', 'the device')
    .requiredOption('--camera <id>', 'the camera')
    .action(act(eventsFetchMissing));
}

function registerEvidence(program: Command): void {
  const evidence = program.command('evidence').description("an event's evidence");
  withTlsOptions(
    withHttpOption(
      evidence
        .command('package')
        .description(
          '(supervisor, auditor, admin) the PDF for a court, once the review is over; checked offline by audit verify',
        ),
    ),
  )
    .argument('<event-id>', 'the event')
    .requiredOption('-o, --out <file>', 'the PDF to write')
    .requiredOption('--purpose <text>', 'why you print it (recorded in the audit log)')
    .option('--token-file <file>', 'your API token (else ZEBRA_TOKEN or ZEBRA_TOKEN_FILE)')
    .action(act(evidencePackageCommand));
}

function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the signed audit log');
  withApiOptions(audit.command('export').description('(auditor) the log (NDJSON, streamed), or part with proofs'))
    .option('--event <id>', "only this event's entries, with inclusion proofs")
    .option('--since <date>', 'only entries from this time (e.g. 2026-11-01 or 2026-11-01T08:00:00Z)')
    .option('--until <date>', 'only entries before this time')
    .option('-o, --out <file>', 'write to this file (else stdout)')
    .option('--resume', 'continue the --out file that was cut short')
    .option('--idle-timeout <s>', 'give up after this many seconds without data', seconds(86_400), 60)
    .action(act(auditExport));
  const save = (name: string, what: string, handler: typeof auditCheckpoint): void => {
    withTlsOptions(withHttpOption(audit.command(name).description(what)))
      .option('-o, --out <file>', 'write to this file (else stdout)')
      .action(act(handler));
  };
  save('checkpoint', 'the current signed checkpoint (over HTTPS): keep it', auditCheckpoint);
  save('public-key', 'the checkpoint key (over HTTPS): pin it', auditPublicKey);
  audit
    .command('verify')
    .description('verify an export against the pinned key (and a checkpoint you kept)')
    .argument('<file>', 'the export or extract')
    .requiredOption('--public-key <pem>', 'the pinned checkpoint key')
    .option('--checkpoint <file>', 'a checkpoint you kept: the log must extend it')
    .action(act(auditVerify));
}

function registerPeople(program: Command): void {
  const users = program.command('users').description('people and their roles');
  withApiOptions(users.command('add').description('(admin) prints a one-time enrolment code for USER'))
    .argument('<user>', 'the user id')
    .requiredOption(`--role <role>`, `${ROLE_NAMES.join('|')} (repeatable; an admin may not also review)`, role)
    .option('--name <name>', 'the full name')
    .action(act(usersAdd));
  withApiOptions(users.command('reset').description("(admin) revokes USER's tokens; prints a new enrolment code"))
    .argument('<user>', 'the user id')
    .action(act(usersReset));
  withApiOptions(
    users.command('enrol').alias('enroll').description('your own token, from the code an admin gave you'),
    false,
  )
    .requiredOption('--code <code>', 'the one-time enrolment code')
    .option('--label <text>', 'a name for the token, e.g. laptop', 'cli')
    .option('-o, --out <file>', 'write the token here (mode 0600) instead of stdout')
    .action(act(usersEnrol));
  withJson(withApiOptions(users.command('list').description('(admin) every user, their roles and state'))).action(
    act(usersList),
  );
  withApiOptions(
    users.command('disable').description('(admin) USER can no longer sign in; their tokens stop working at once'),
  )
    .argument('<user>', 'the user id (not your own)')
    .action(act(usersDisable));

  const tokens = program.command('tokens').description('API tokens');
  withApiOptions(tokens.command('issue').description('a new token for your own account, shown once'))
    .argument('[user]', 'your own user id (a token is never issued for anyone else)')
    .option('--days <n>', 'days the token is valid (else the core default)', wholeNumber(1, MAX_TOKEN_DAYS))
    .option('--label <text>', 'a name for the token')
    .option('-o, --out <file>', 'write the token here (mode 0600) instead of stdout')
    .action(act(tokensIssue));
  withApiOptions(tokens.command('revoke').description('(admin) a token stops working at once'))
    .argument('<token-id>', 'the token id (as printed when it was issued)')
    .action(act(tokensRevoke));
  withJson(
    withApiOptions(tokens.command('list').description("your own tokens, or (admin) another user's; never secrets")),
  )
    .option('--user <user>', "(admin) this user's tokens instead of yours")
    .option('--limit <n>', 'at most this many, newest first', wholeNumber(1, 1000), 100)
    .action(act(tokensList));

  const devices = program.command('devices').description('edge devices');
  withApiOptions(devices.command('register').description('(admin) events from unregistered devices are quarantined'))
    .argument('<device>', 'the device id')
    .requiredOption('--site <site>', "the device's site")
    .requiredOption('--public-key <pem>', 'the file from `zebra edge public-key`')
    .action(act(devicesRegister));
  withJson(withApiOptions(devices.command('list').description('(admin) the registered devices'))).action(
    act(devicesList),
  );
  withApiOptions(devices.command('revoke').description('(admin) events the device signs are quarantined from now on'))
    .argument('<device>', 'the device id')
    .action(act(devicesRevoke));
}

function registerQuarantine(program: Command): void {
  const quarantine = program.command('quarantine').description('messages ingest refused and kept');
  withJson(withApiOptions(quarantine.command('list').description('(supervisor, auditor) newest first; no payloads')))
    .option('--limit <n>', 'at most this many', wholeNumber(1, 500), 50)
    .option(
      '--before <id>',
      'only messages older than this id (the next page)',
      wholeNumber(1, Number.MAX_SAFE_INTEGER),
    )
    .action(act(quarantineList));
  withJson(
    withApiOptions(
      quarantine.command('show').description('(supervisor, auditor) one message, decoded, or its first bytes in hex'),
    ),
  )
    .argument('<id>', 'the id from quarantine list', wholeNumber(1, Number.MAX_SAFE_INTEGER))
    .action(act(quarantineShow));
}

/** events, audit, users, tokens, devices, quarantine: the commands that call the core's API. */
export function registerApi(program: Command): void {
  registerEvents(program);
  registerQuarantine(program);
  registerEvidence(program);
  registerAudit(program);
  registerPeople(program);
}
