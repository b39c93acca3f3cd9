import type { SignalAspect } from '../signal.js';
import { SYS_UP_TIME, phaseBit, pollOids } from './oids.js';

/** ASN.1 / SMI tags of the varbind types the bridge accepts (as net-snmp reports them). */
export const VarbindType = {
  INTEGER: 2,
  TIME_TICKS: 67,
} as const;

/** One varbind of a GetResponse, as the SNMP library hands it over. */
export interface Varbind {
  readonly oid: string;
  readonly type: number;
  readonly value: unknown;
}

/** Why a poll's answer cannot be used. */
export type PollFault =
  /** Wrong OIDs, wrong types, values out of range, or no such object. */
  | 'garbage'
  /** More than one of walk, pedestrian clearance and don't walk for the phase at once. */
  | 'conflict';

/** The pedestrian signal of the configured phase at one poll. */
export type PollReading =
  | {
      readonly ok: true;
      readonly aspect: SignalAspect;
      /** The controller's sysUpTime (hundredths of a second). */
      readonly upTimeTicks: number;
      /** The three bits of the phase, for logs. */
      readonly bits: { readonly walk: boolean; readonly pedClear: boolean; readonly dontWalk: boolean };
    }
  | { readonly ok: false; readonly fault: PollFault; readonly detail: string };

const MASK_MAX = 255;
const TIME_TICKS_MAX = 2 ** 32 - 1;

function garbage(detail: string): PollReading {
  return { ok: false, fault: 'garbage', detail };
}

function maskOf(varbind: Varbind, name: string): number | string {
  if (varbind.type !== VarbindType.INTEGER) return `${name} (${varbind.oid}) has type ${varbind.type}, not INTEGER`;
  const value = varbind.value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MASK_MAX)
    return `${name} (${varbind.oid}) is ${String(value)}, not a bitmask in 0..${MASK_MAX}`;
  return value;
}

/**
 * The aspect three bits stand for: exactly one set names it, none is a dark signal, more than
 * one is a conflict (walk with either don't walk, or flashing and steady together: the
 * difference decides an infraction, so an ambiguous answer never does). Pure.
 */
export function aspectOfBits(walk: boolean, pedClear: boolean, dontWalk: boolean): SignalAspect | 'conflict' {
  const set = Number(walk) + Number(pedClear) + Number(dontWalk);
  if (set > 1) return 'conflict';
  if (walk) return 'walk';
  if (pedClear) return 'flashing_dont_walk';
  if (dontWalk) return 'steady_dont_walk';
  return 'dark';
}

/**
 * Decodes one poll's answer (the varbinds for {@link pollOids}, in that order) into the
 * configured phase's pedestrian signal, or the reason it cannot be used. Pure.
 */
export function decodePoll(varbinds: readonly Varbind[], phase: number): PollReading {
  const expected = pollOids(phase);
  if (varbinds.length !== expected.length)
    return garbage(`${varbinds.length} varbinds in the answer, expected ${expected.length}`);
  for (const [i, oid] of expected.entries())
    if (varbinds[i]!.oid !== oid) return garbage(`varbind ${i} is ${varbinds[i]!.oid}, expected ${oid}`);
  const upTime = varbinds[0]!;
  if (upTime.type !== VarbindType.TIME_TICKS)
    return garbage(`sysUpTime (${SYS_UP_TIME}) has type ${upTime.type}, not TimeTicks`);
  if (typeof upTime.value !== 'number' || !Number.isInteger(upTime.value) || upTime.value < 0)
    return garbage(`sysUpTime is ${String(upTime.value)}`);
  if (upTime.value > TIME_TICKS_MAX) return garbage(`sysUpTime is ${upTime.value}, above 2^32-1`);
  const masks: number[] = [];
  for (const [i, name] of [
    'phaseStatusGroupWalks',
    'phaseStatusGroupPedClears',
    'phaseStatusGroupDontWalks',
  ].entries()) {
    const mask = maskOf(varbinds[i + 1]!, name);
    if (typeof mask === 'string') return garbage(mask);
    masks.push(mask);
  }
  const { bit } = phaseBit(phase);
  const [walk, pedClear, dontWalk] = masks.map((m) => ((m >> bit) & 1) === 1) as [boolean, boolean, boolean];
  const aspect = aspectOfBits(walk, pedClear, dontWalk);
  if (aspect === 'conflict')
    return {
      ok: false,
      fault: 'conflict',
      detail: `phase ${phase}: walk ${Number(walk)}, pedestrian clearance ${Number(pedClear)}, don't walk ${Number(dontWalk)}`,
    };
  return { ok: true, aspect, upTimeTicks: upTime.value, bits: { walk, pedClear, dontWalk } };
}
