import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { createEdgeLogger } from '../../edge/logger.js';
import { ControllerSignalSource } from '../../edge/signal/controller-source.js';
import { SignalPhaseReport, SignalState, signalSubject } from '../../proto/index.js';
import { createLogSink } from '../harness/log-sink.js';
import { startTestNats } from '../harness/nats.js';

describe('forged signal reports on a real nats-server (pre-fix probe)', () => {
  it('a forged report does not move the state', async () => {
    await using nats = await startTestNats();
    const nc = await connect({ servers: nats.url });
    const logs = createLogSink();
    const options = { controllerId: 'ctl-1', staleAfterMs: 400, maxClockOffsetMs: 500, keepMs: 60_000 };
    const source = ControllerSignalSource.subscribe(nc, 'site-1', options, createEdgeLogger('info', logs.stream));
    try {
      const forged = SignalPhaseReport.encode({
        controllerId: 'ctl-1',
        state: SignalState.SIGNAL_STATE_STEADY_DONT_WALK,
        stateBeganAtMs: Date.now() - 60_000,
        sentAtMs: Date.now(),
      }).finish();
      nc.publish(signalSubject('site-1', 'ctl-1'), forged);
      await nc.flush();
      await new Promise((r) => setTimeout(r, 100));
      expect(source.readingAt(Date.now())).toMatchObject({ aspect: 'dark', isStale: true });
    } finally {
      await source.close();
      await nc.close();
    }
  });
});
