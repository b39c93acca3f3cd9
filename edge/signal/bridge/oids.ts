/**
 * The NTCIP 1202 objects the signal bridge reads. The phase status group table
 * (phaseStatusGroupTable, 1.3.6.1.4.1.1206.4.2.1.1.4) has one row per group of eight phases;
 * each column is a bitmask (INTEGER 0..255) in which bit 0 is phase (group × 8) − 7 and bit 7
 * is phase group × 8. Column numbers: 1 phaseStatusGroupNumber, 2 Reds, 3 Yellows, 4 Greens,
 * 5 DontWalks, 6 PedClears, 7 Walks, 8 VehCalls, 9 PedCalls, 10 PhaseOns, 11 PhaseNexts.
 */
export const PHASE_STATUS_GROUP_ENTRY = '1.3.6.1.4.1.1206.4.2.1.1.4.1';

/** The columns of phaseStatusGroupEntry the bridge reads. */
export const PhaseStatusColumn = {
  DONT_WALKS: 5,
  PED_CLEARS: 6,
  WALKS: 7,
} as const;

/**
 * sysUpTime.0 (RFC 3418, TimeTicks: hundredths of a second since the agent started): a
 * controller whose clock stops advancing is frozen, whatever its phase bits say.
 */
export const SYS_UP_TIME = '1.3.6.1.2.1.1.3.0';

/** NTCIP 1202 allows up to 255 phases (maxPhases), so 32 status groups. */
export const MAX_PHASE = 255;

/** Where a phase's bits sit: its status group (the table row) and the bit in each mask. */
export interface PhaseBit {
  readonly group: number;
  readonly bit: number;
}

/** The status group and bit of phase `phase` (1-based). Pure. */
export function phaseBit(phase: number): PhaseBit {
  if (!Number.isInteger(phase) || phase < 1 || phase > MAX_PHASE)
    throw new RangeError(`phase ${phase} is not a whole number in 1..${MAX_PHASE}`);
  return { group: Math.floor((phase - 1) / 8) + 1, bit: (phase - 1) % 8 };
}

/** The instance OID of one column for one status group. */
export function columnOid(column: number, group: number): string {
  return `${PHASE_STATUS_GROUP_ENTRY}.${column}.${group}`;
}

/** The OIDs one poll reads, in the order the decoder expects them. */
export function pollOids(phase: number): string[] {
  const { group } = phaseBit(phase);
  return [
    SYS_UP_TIME,
    columnOid(PhaseStatusColumn.WALKS, group),
    columnOid(PhaseStatusColumn.PED_CLEARS, group),
    columnOid(PhaseStatusColumn.DONT_WALKS, group),
  ];
}
