import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import snmp from 'net-snmp';
import type { SnmpCredentials } from '../edge/signal/bridge/snmp-client.js';
import { usmUser } from '../edge/signal/bridge/snmp-client.js';
import { PHASE_STATUS_GROUP_ENTRY, PhaseStatusColumn, phaseBit } from '../edge/signal/bridge/oids.js';
import { scheduledAspect } from '../edge/signal/schedule.js';
import type { Schedule } from '../edge/signal/schedule.js';
import type { SignalAspect } from '../edge/signal/signal.js';

/**
 * How the simulated controller behaves: `run` follows the schedule; `freeze` answers with the
 * state and sysUpTime of the moment it froze; `conflict` sets walk and don't walk for the
 * phase together; `lie-type` answers the phase masks as OCTET STRINGs; `lie-range` answers
 * masks out of 0..255; `drop` stops answering (the socket is closed).
 */
export type SimulatorMode = 'run' | 'freeze' | 'conflict' | 'lie-type' | 'lie-range' | 'drop';

export interface SimulatorOptions {
  /** Where to listen; port 0 takes a free one. */
  readonly address?: string;
  readonly port?: number;
  readonly credentials: SnmpCredentials;
  /** The cycle it plays (the schedule file format of edge/signal/schedule.ts). */
  readonly schedule: Schedule;
  /** When the cycle starts (Unix ms); default now. */
  readonly cycleStartMs?: number;
  /** The pedestrian phase the schedule drives; the other phases of its group show don't walk. */
  readonly phase: number;
  /** Send a trap here (host:port) whenever the phase's aspect changes. */
  readonly trapTo?: { readonly host: string; readonly port: number };
}

const SYS_UP_TIME_NODE = '1.3.6.1.2.1.1.3';
const GROUPS = 2;
const TRAP_OID = '1.3.6.1.4.1.1206.4.2.1.1.4';

interface Snapshot {
  readonly aspect: SignalAspect;
  readonly upTimeTicks: number;
}

/** An NTCIP 1202 traffic signal controller on loopback (net-snmp's agent), for tests and the demo. */
export class SignalControllerSimulator {
  readonly #options: SimulatorOptions;
  readonly #startedAtMs = Date.now();
  readonly #cycleStartMs: number;
  #agent: SnmpAgent | undefined;
  #port = 0;
  #mode: SimulatorMode = 'run';
  #frozen: Snapshot | undefined;
  #trapSession: snmp.Session | undefined;
  #trapTimer: NodeJS.Timeout | undefined;
  #lastAspect: SignalAspect | undefined;
  /** GetRequests answered so far. */
  requests = 0;

  private constructor(options: SimulatorOptions) {
    this.#options = options;
    this.#cycleStartMs = options.cycleStartMs ?? Date.now();
  }

  static async start(options: SimulatorOptions): Promise<SignalControllerSimulator> {
    const sim = new SignalControllerSimulator(options);
    await sim.#listen(options.port ?? (await freeUdpPort(options.address ?? '127.0.0.1')));
    if (options.trapTo) sim.#startTraps(options.trapTo);
    return sim;
  }

  /** The UDP port it answers on. */
  get port(): number {
    return this.#port;
  }

  get mode(): SimulatorMode {
    return this.#mode;
  }

  /** The aspect the schedule shows at `atMs`. */
  scheduled(atMs: number): { aspect: SignalAspect; beganAtMs: number } {
    return scheduledAspect(this.#options.schedule, this.#cycleStartMs, atMs);
  }

  /** Changes how it behaves from now on. */
  async setMode(mode: SimulatorMode): Promise<void> {
    if (mode === this.#mode) return;
    if (mode === 'freeze') this.#frozen = this.#snapshot();
    if (this.#mode === 'drop') await this.#listen(this.#port);
    if (mode === 'drop') await this.#closeAgent();
    this.#mode = mode;
  }

  async close(): Promise<void> {
    if (this.#trapTimer) clearInterval(this.#trapTimer);
    this.#trapSession?.close();
    await this.#closeAgent();
  }

  #snapshot(): Snapshot {
    if (this.#mode === 'freeze' && this.#frozen) return this.#frozen;
    const now = Date.now();
    return { aspect: this.scheduled(now).aspect, upTimeTicks: Math.floor((now - this.#startedAtMs) / 10) };
  }

  #cell(column: number, group: number): { type: number; value: unknown } {
    const { aspect } = this.#snapshot();
    const own = phaseBit(this.#options.phase);
    const others = 0xff & ~(1 << own.bit);
    const bitIf = (on: boolean): number => (group === own.group && on ? 1 << own.bit : 0);
    const otherDontWalks = group === own.group ? others : 0xff;
    let value: number;
    if (column === 1) return { type: snmp.ObjectType.Integer, value: group };
    if (column === PhaseStatusColumn.WALKS) value = bitIf(aspect === 'walk' || this.#mode === 'conflict');
    else if (column === PhaseStatusColumn.PED_CLEARS) value = bitIf(aspect === 'flashing_dont_walk');
    else if (column === PhaseStatusColumn.DONT_WALKS)
      value = otherDontWalks | bitIf(aspect === 'steady_dont_walk' || this.#mode === 'conflict');
    else value = 0;
    if (this.#mode === 'lie-type') return { type: snmp.ObjectType.OctetString, value: Buffer.from(`x${value}`) };
    if (this.#mode === 'lie-range') return { type: snmp.ObjectType.Integer, value: 4096 + value };
    return { type: snmp.ObjectType.Integer, value };
  }

  async #listen(port: number): Promise<void> {
    const agent = snmp.createAgent(
      { port, address: this.#options.address ?? '127.0.0.1', disableAuthorization: false },
      () => undefined,
    ) as SnmpAgent;
    const credentials = this.#options.credentials;
    if (credentials.version === 'v2c') agent.getAuthorizer().addCommunity(credentials.community);
    else agent.getAuthorizer().addUser(usmUser(credentials));
    agent.registerProvider({
      name: 'sysUpTime',
      type: snmp.MibProviderType.Scalar,
      oid: SYS_UP_TIME_NODE,
      scalarType: snmp.ObjectType.TimeTicks,
      maxAccess: snmp.MaxAccess['read-only'],
      handler: (request: MibRequest) => {
        this.requests += 1;
        request.instanceNode.value = this.#snapshot().upTimeTicks;
        request.done();
      },
    });
    const columns = [1, 2, 3, 4, 5, 6, 7].map((number) => ({
      number,
      name: `phaseStatusGroupColumn${number}`,
      type: snmp.ObjectType.Integer,
      maxAccess: snmp.MaxAccess['read-only'],
    }));
    agent.registerProvider({
      name: 'phaseStatusGroupTable',
      type: snmp.MibProviderType.Table,
      oid: PHASE_STATUS_GROUP_ENTRY,
      maxAccess: snmp.MaxAccess['not-accessible'],
      tableColumns: columns,
      tableIndex: [{ columnName: 'phaseStatusGroupColumn1' }],
      handler: (request: MibRequest) => {
        const [column, group] = request.oid
          .slice(PHASE_STATUS_GROUP_ENTRY.length + 1)
          .split('.')
          .map(Number);
        const cell = this.#cell(column!, group!);
        request.instanceNode.valueType = cell.type;
        request.instanceNode.value = cell.value;
        request.done();
      },
    });
    const mib = agent.getMib();
    mib.setScalarValue('sysUpTime', 0);
    for (let group = 1; group <= GROUPS; group++) mib.addTableRow('phaseStatusGroupTable', [group, 0, 0, 0, 0, 0, 0]);
    this.#agent = agent;
    this.#port = await boundPort(agent);
  }

  async #closeAgent(): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    if (!agent) return;
    const sockets = Object.keys((agent as unknown as AgentInternals).listener.sockets).length;
    await new Promise<void>((resolve) => {
      let closed = 0;
      agent.close(() => {
        closed += 1;
        if (closed >= sockets) resolve();
      });
    });
  }

  #startTraps(target: { host: string; port: number }): void {
    const c = this.#options.credentials;
    const options = { port: 161, trapPort: target.port, retries: 0, transport: 'udp4' as const };
    this.#trapSession =
      c.version === 'v2c'
        ? snmp.createSession(target.host, c.community, { ...options, version: snmp.Version2c })
        : snmp.createV3Session(target.host, usmUser(c), { ...options, version: snmp.Version3 });
    this.#trapSession.on('error', () => undefined);
    this.#trapTimer = setInterval(() => {
      if (this.#mode !== 'run') return;
      const aspect = this.#snapshot().aspect;
      if (aspect === this.#lastAspect) return;
      this.#lastAspect = aspect;
      this.#trapSession?.trap(TRAP_OID, [], () => undefined);
    }, 10);
    this.#trapTimer.unref();
  }
}

/** What the agent's handler gets for one varbind. */
interface MibRequest {
  readonly oid: string;
  readonly instanceNode: { value: unknown; valueType: number };
  done(error?: { errorStatus: number }): void;
}

/** The part of net-snmp's Agent this uses (its types declare createAgent as any). */
interface SnmpAgent {
  getAuthorizer(): { addCommunity(community: string): void; addUser(user: snmp.User): void };
  getMib(): {
    addTableRow(provider: string, row: unknown[]): void;
    setScalarValue(provider: string, value: unknown): void;
  };
  registerProvider(provider: object): void;
  close(callback: () => void): void;
}

interface AgentInternals {
  readonly listener: { readonly sockets: Record<string, Socket> };
}

/** A UDP port free now (net-snmp's agent takes port 0 as its default, 161). */
export async function freeUdpPort(address: string): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function boundPort(agent: SnmpAgent): Promise<number> {
  const socket = Object.values((agent as unknown as AgentInternals).listener.sockets)[0]!;
  try {
    return socket.address().port;
  } catch {
    await new Promise<void>((resolve, reject) => {
      socket.once('listening', () => resolve());
      socket.once('error', reject);
    });
    return socket.address().port;
  }
}
