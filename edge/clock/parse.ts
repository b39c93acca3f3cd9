/**
 * Parsers for what the system's time tools say about the clock. Pure: text in, a verdict out;
 * text they do not recognise is a verdict too ("unknown", with why), never an exception.
 */

/** The system clock's synchronisation, as one tool reported it. */
export interface SystemClockStatus {
  readonly state: 'synced' | 'unsynced' | 'unknown';
  /** Which tool said so; "none" when no time daemon was found. */
  readonly source: 'chrony' | 'timedatectl' | 'adjtimex' | 'none';
  /** Why, in a few words, e.g. "chrony: Not synchronised" (status pages, logs, events). */
  readonly detail: string;
  /** System clock minus its reference (ms, + = fast), when the tool tells. */
  readonly offsetMs?: number;
  /** What the clock follows, when the tool tells (chrony: the selected source). */
  readonly reference?: string;
}

const unknown = (source: SystemClockStatus['source'], detail: string): SystemClockStatus => ({
  state: 'unknown',
  source,
  detail,
});

/** A chrony verdict from the parsed fields: synced needs a reference, a stratum and no "Not synchronised". */
function chronyVerdict(
  refId: string,
  refName: string,
  stratum: number,
  offsetMs: number,
  leap: string,
  maxOffsetMs: number,
): SystemClockStatus {
  const reference = refName || refId;
  const base = { source: 'chrony' as const, offsetMs, reference };
  if (/^not synchronised$/i.test(leap) || /^0+$/.test(refId) || stratum === 0)
    return { ...base, state: 'unsynced', detail: 'chrony: Not synchronised' };
  if (Math.abs(offsetMs) > maxOffsetMs)
    return {
      ...base,
      state: 'unsynced',
      detail: `chrony: ${offsetMs.toFixed(3)} ms from ${reference}, over ${maxOffsetMs} ms`,
    };
  return { ...base, state: 'synced', detail: `chrony: synchronised to ${reference} (stratum ${stratum})` };
}

/**
 * `chronyc -c tracking` (CSV): reference id, name, stratum, ref time, system time (s, + =
 * slow), last offset, RMS offset, frequency, residual freq, skew, root delay, root dispersion,
 * update interval, leap status.
 */
export function parseChronyCsv(text: string, maxOffsetMs: number): SystemClockStatus {
  const line = text.trim().split('\n')[0] ?? '';
  const fields = line.split(',');
  if (fields.length < 14) return unknown('chrony', `chrony: unreadable tracking output: ${line.slice(0, 80)}`);
  const [refId, refName, stratumText, , systemS] = fields;
  const leap = fields[13]!.trim();
  const stratum = Number(stratumText);
  const slowS = Number(systemS);
  if (!/^[0-9a-f]{8}$/i.test(refId!) || !Number.isInteger(stratum) || !Number.isFinite(slowS))
    return unknown('chrony', `chrony: unreadable tracking output: ${line.slice(0, 80)}`);
  return chronyVerdict(refId!, refName!, stratum, -slowS * 1000, leap, maxOffsetMs);
}

/** `chronyc -n tracking` (the human form): "Name : value" lines. */
export function parseChronyText(text: string, maxOffsetMs: number): SystemClockStatus {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const ref = /^([0-9A-Fa-f]{8})(?:\s+\((.*)\))?$/.exec(fields.get('Reference ID') ?? '');
  const stratum = Number(fields.get('Stratum'));
  const system = /^([0-9.]+) seconds (fast|slow) of NTP time$/.exec(fields.get('System time') ?? '');
  const leap = fields.get('Leap status');
  if (!ref || !Number.isInteger(stratum) || !system || leap === undefined)
    return unknown('chrony', `chrony: unreadable tracking output: ${text.trim().slice(0, 80)}`);
  const offsetMs = Number(system[1]) * 1000 * (system[2] === 'fast' ? 1 : -1);
  return chronyVerdict(ref[1]!, ref[2] ?? '', stratum, offsetMs, leap, maxOffsetMs);
}

/**
 * `timedatectl show`: key=value lines. NTPSynchronized is the kernel's verdict (set by
 * systemd-timesyncd, chrony or ntpd); NTP says whether a time service is enabled.
 */
export function parseTimedatectlShow(text: string): SystemClockStatus {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const synced = values.get('NTPSynchronized');
  if (synced === 'yes') return { state: 'synced', source: 'timedatectl', detail: 'timedatectl: NTP synchronised' };
  if (synced === 'no')
    return {
      state: 'unsynced',
      source: 'timedatectl',
      detail:
        values.get('NTP') === 'yes'
          ? 'timedatectl: NTP service active, not synchronised yet'
          : 'timedatectl: no NTP service active',
    };
  return unknown('timedatectl', 'timedatectl: no NTPSynchronized in its output');
}

/** The kernel's "clock not synchronised" status bit (struct timex, STA_UNSYNC). */
export const STA_UNSYNC = 0x0040;
/** adjtimex's return value when the clock is not synchronised (TIME_ERROR). */
const TIME_ERROR = 5;

/** `adjtimex -p`: the kernel's view; "status" carries STA_UNSYNC. */
export function parseAdjtimex(text: string): SystemClockStatus {
  const status = /^\s*status:\s*(\d+)\s*$/m.exec(text);
  if (!status) return unknown('adjtimex', 'adjtimex: no status in its output');
  const bits = Number(status[1]);
  const returned = /return value = (\d+)/.exec(text);
  if ((bits & STA_UNSYNC) !== 0 || (returned && Number(returned[1]) === TIME_ERROR))
    return {
      state: 'unsynced',
      source: 'adjtimex',
      detail: `adjtimex: kernel clock not synchronised (status ${bits})`,
    };
  return { state: 'synced', source: 'adjtimex', detail: `adjtimex: kernel clock synchronised (status ${bits})` };
}
