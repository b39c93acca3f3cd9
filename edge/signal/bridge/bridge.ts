import type { Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import snmp from 'net-snmp';
import { SignalState, natsInboxPrefix, signalSubject } from '../../../proto/index.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../../errors.js';
import { startEdgeHttp } from '../../http.js';
import type { EdgeHealth } from '../../http.js';
import type { Logger } from '../../logger.js';
import { SignalReportSigner } from '../report-signer.js';
import type { SignalAspect } from '../signal.js';
import type { BridgeConfig } from './config.js';
import { readSecret } from './config.js';
import { decodePoll } from './decode.js';
import { createBridgeMetrics } from './metrics.js';
import type { BridgeMetrics } from './metrics.js';
import { pollOids } from './oids.js';
import { SnmpClient, readCredentials, usmUser } from './snmp-client.js';
import type { SnmpCredentials } from './snmp-client.js';
import { INITIAL_TRACKER, trackPoll } from './tracker.js';
import type { TrackerState } from './tracker.js';

const STATE_OF: Record<SignalAspect, SignalState> = {
  walk: SignalState.SIGNAL_STATE_WALK,
  flashing_dont_walk: SignalState.SIGNAL_STATE_FLASHING_DONT_WALK,
  steady_dont_walk: SignalState.SIGNAL_STATE_STEADY_DONT_WALK,
  dark: SignalState.SIGNAL_STATE_DARK,
};

async function loadSigner(config: BridgeConfig): Promise<SignalReportSigner> {
  try {
    return SignalReportSigner.fromPem(config.controllerId, await readFile(config.keyFile, 'utf8'));
  } catch (err) {
    throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `keyFile: ${config.keyFile}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

async function connectNats(config: BridgeConfig): Promise<NatsConnection> {
  const password = await readSecret(config.nats.passwordFile, 'nats.passwordFile');
  try {
    return await connect({
      servers: [...config.nats.servers],
      name: `signal-bridge-${config.controllerId}`,
      maxReconnectAttempts: -1,
      user: config.nats.user,
      pass: password,
      inboxPrefix: natsInboxPrefix(config.nats.user),
      tls: { caFile: config.nats.caFile },
    });
  } catch (err) {
    throw new EdgeError(
      EdgeErrorCode.PUBLISH_FAILED,
      `nats: cannot connect to ${config.nats.servers.join(', ')} as ${config.nats.user}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

interface Receiver {
  readonly listener: { readonly sockets: Record<string, Socket> };
  close(callback: () => void): void;
  getAuthorizer(): { addCommunity(c: string): void; addUser(u: snmp.User): void };
}

function isBound(socket: Socket): boolean {
  try {
    socket.address();
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads one controller's pedestrian signal over SNMP (NTCIP 1202 phase status groups),
 * signs a `SignalPhaseReport` on every change (and every `publishEveryMs`) with the bridge's
 * key, and publishes it on the controller's signal subject. On any fault it publishes
 * nothing, so the edge's feed goes stale and enforcement is suspended; the reason is logged,
 * counted (zebra_signal_bridge_faults_total, zebra_signal_bridge_fault) and on /healthz.
 */
export class SignalBridge {
  readonly #config: BridgeConfig;
  readonly #logger: Logger;
  readonly #metrics: BridgeMetrics;
  readonly #client: SnmpClient;
  readonly #signer: SignalReportSigner;
  readonly #nc: NatsConnection;
  readonly #subject: string;
  #state: TrackerState = INITIAL_TRACKER;
  #running = true;
  #wake: (() => void) | undefined;
  #loop: Promise<void> = Promise.resolve();
  #receiver: Receiver | undefined;
  #http: { address: string; close(): Promise<void> } | undefined;
  #published = 0;

  private constructor(
    config: BridgeConfig,
    logger: Logger,
    client: SnmpClient,
    signer: SignalReportSigner,
    nc: NatsConnection,
  ) {
    this.#config = config;
    this.#logger = logger;
    this.#metrics = createBridgeMetrics();
    this.#client = client;
    this.#signer = signer;
    this.#nc = nc;
    this.#subject = signalSubject(config.siteId, config.controllerId);
  }

  static async start(config: BridgeConfig, logger: Logger): Promise<SignalBridge> {
    const signer = await loadSigner(config);
    const credentials = await readCredentials(config.controller.snmp);
    const nc = await connectNats(config);
    const { host, port, timeoutMs } = config.controller;
    const bridge = new SignalBridge(config, logger, new SnmpClient(host, port, credentials, timeoutMs), signer, nc);
    try {
      if (config.traps) bridge.#receiver = await bridge.#listenForTraps(config.traps.listen, credentials);
      if (config.http)
        bridge.#http = await startEdgeHttp(config.http.listen, config.http.tls, bridge.#metrics, () => bridge.health());
    } catch (err) {
      await bridge.close();
      throw err;
    }
    void bridge.#watchNats();
    logger.info(
      {
        controller: `${host}:${port}`,
        snmp: config.controller.snmp.version,
        phase: config.pedestrianPhase,
        subject: bridge.#subject,
        keyId: signer.keyId,
        pollIntervalMs: config.pollIntervalMs,
        traps: config.traps?.listen,
        http: bridge.#http?.address,
      },
      'signal bridge started: the edge must pin this key',
    );
    bridge.#loop = bridge.#run();
    return bridge;
  }

  get metrics(): BridgeMetrics {
    return this.#metrics;
  }

  /** What the bridge knows of the controller now. */
  get state(): TrackerState {
    return this.#state;
  }

  get reportsPublished(): number {
    return this.#published;
  }

  /** Where /healthz and /metrics are served, if configured. */
  get httpAddress(): string | undefined {
    return this.#http?.address;
  }

  health(): EdgeHealth {
    const fault = this.#state.fault;
    const controller = fault
      ? `fault ${fault.reason}: ${fault.detail}`
      : this.#state.current
        ? `ok: ${this.#state.current.aspect}`
        : 'waiting for a first good poll';
    const nats = this.#nc.isClosed() ? 'closed' : 'connected';
    return {
      ok: !fault && this.#state.current !== undefined && nats === 'connected',
      checks: { controller, nats },
    };
  }

  /** Polls now instead of at the next interval (a trap arrived). */
  pollNow(): void {
    this.#wake?.();
  }

  async close(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#client.close();
    const receiver = this.#receiver;
    if (receiver) await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await this.#http?.close();
    if (!this.#nc.isClosed()) await this.#nc.drain().catch(() => this.#nc.close());
  }

  async #run(): Promise<void> {
    const oids = pollOids(this.#config.pedestrianPhase);
    while (this.#running) {
      const startedAtMs = Date.now();
      const result = await this.#client.get(oids);
      const nowMs = Date.now();
      this.#metrics.pollSeconds.observe((nowMs - startedAtMs) / 1000);
      const outcome = result.ok ? decodePoll(result.varbinds, this.#config.pedestrianPhase) : result;
      this.#metrics.polls.inc({ outcome: outcome.ok ? 'ok' : outcome.fault });
      this.#apply(trackPoll(this.#state, outcome, nowMs, this.#config));
      const waitMs = this.#config.pollIntervalMs - (Date.now() - startedAtMs);
      if (this.#running && waitMs > 0)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      this.#wake = undefined;
    }
  }

  #apply(step: ReturnType<typeof trackPoll>): void {
    const before = this.#state;
    this.#state = step.state;
    const fault = step.state.fault;
    if (fault && fault.reason !== before.fault?.reason) {
      this.#metrics.faults.inc({ reason: fault.reason });
      this.#metrics.setFault(fault.reason);
      this.#logger.warn(
        { reason: fault.reason, detail: fault.detail },
        'signal bridge: controller fault; one DARK report, then nothing, so the edge stops enforcing',
      );
    } else if (!fault && before.fault) {
      this.#metrics.setFault(undefined);
      this.#logger.info({ was: before.fault.reason }, 'signal bridge: controller healthy again; publishing');
    }
    const report = step.publish;
    if (!report) return;
    if (report.aspect !== before.current?.aspect)
      this.#logger.debug({ aspect: report.aspect, beganAtMs: report.stateBeganAtMs }, 'pedestrian signal changed');
    const message = this.#signer.sign({
      state: STATE_OF[report.aspect],
      stateBeganAtMs: report.stateBeganAtMs,
      sentAtMs: report.sentAtMs,
    });
    try {
      this.#nc.publish(this.#subject, message);
      this.#published += 1;
      this.#metrics.reportsPublished.inc({ aspect: report.aspect });
    } catch (err) {
      this.#logger.error({ err: errorMessage(err) }, 'signal bridge: cannot publish a report');
    }
  }

  async #watchNats(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === 'error' || status.type === 'disconnect')
        this.#logger.warn({ status: status.type, detail: JSON.stringify(status) }, 'signal bridge: NATS');
    }
  }

  async #listenForTraps(listen: string, credentials: SnmpCredentials): Promise<Receiver> {
    const match = /^(.*):(\d+)$/.exec(listen)!;
    const controllerHost = this.#config.controller.host;
    const receiver = snmp.createReceiver(
      { port: Number(match[2]), address: match[1], disableAuthorization: false, transport: 'udp4' },
      (error: Error | null, notification: { rinfo?: { address?: string } } | null) => {
        if (error || notification?.rinfo?.address !== controllerHost) {
          this.#metrics.traps.inc({ outcome: 'refused' });
          return;
        }
        this.#metrics.traps.inc({ outcome: 'accepted' });
        this.pollNow();
      },
    ) as Receiver;
    if (credentials.version === 'v2c') receiver.getAuthorizer().addCommunity(credentials.community);
    else receiver.getAuthorizer().addUser(usmUser(credentials));
    const socket = Object.values(receiver.listener.sockets)[0]!;
    await new Promise<void>((resolve, reject) => {
      if (isBound(socket)) return resolve();
      socket.once('listening', () => resolve());
      socket.once('error', (err) =>
        reject(new EdgeError(EdgeErrorCode.CONFIG_INVALID, `traps.listen: cannot listen on ${listen}: ${err.message}`)),
      );
    });
    return receiver;
  }
}
