import { describe, expect, it } from 'vitest';
import { WorkerRpc } from '../../../proto/worker-rpc.js';
import type { WorkerRpcOptions } from '../../../proto/worker-rpc.js';

type Req = { id: number; op: 'echo' | 'hold' | 'release' | 'exit' | 'throw'; value?: string };
type Rep = { id: number; value: string };

const entry = new URL('../../fixtures/worker-rpc/echo-thread.js', import.meta.url);
const options = (more: Partial<WorkerRpcOptions> = {}): WorkerRpcOptions => ({
  entry,
  name: 'the echo thread',
  ...more,
});

class SideError extends Error {}

describe('WorkerRpc: numbered requests over one worker thread', () => {
  it('matches replies to requests by id, whatever order they come back in', async () => {
    const rpc = WorkerRpc.start<Req, Rep>(options());
    try {
      const held = ['a', 'b', 'c'].map((value) => rpc.request({ op: 'hold', value }));
      expect(rpc.inFlight).toBe(3);
      const released = rpc.request({ op: 'release' });
      expect(await Promise.all([...held, released])).toEqual([
        { id: 1, value: 'a' },
        { id: 2, value: 'b' },
        { id: 3, value: 'c' },
        { id: 4, value: 'released' },
      ]);
      expect(rpc.inFlight).toBe(0);
      expect(await rpc.request({ op: 'echo', value: 'x' })).toEqual({ id: 5, value: 'x' });
    } finally {
      await rpc.terminate();
    }
  });

  it('rejects waiting and later requests with the side’s error when the thread exits, and reports it once', async () => {
    const failures: (number | undefined)[] = [];
    const rpc = WorkerRpc.start<Req, Rep>(
      options({
        toError: (message) => new SideError(message),
        onFailure: (_, detail) => failures.push(detail.exitCode),
      }),
    );
    try {
      const waiting = rpc.request({ op: 'hold', value: 'a' });
      const exited = rpc.request({ op: 'exit' });
      await expect(waiting).rejects.toThrow(SideError);
      await expect(exited).rejects.toThrow('the echo thread exited (code 3)');
      await expect(rpc.request({ op: 'echo', value: 'late' })).rejects.toThrow('the echo thread exited (code 3)');
      expect(rpc.failure?.message).toBe('the echo thread exited (code 3)');
      expect(failures).toEqual([3]);
    } finally {
      await rpc.terminate();
    }
  });

  it('rejects with the thread’s error when it throws', async () => {
    const rpc = WorkerRpc.start<Req, Rep>(options());
    try {
      await expect(rpc.request({ op: 'throw' })).rejects.toThrow('the echo thread failed: thrown in the thread');
    } finally {
      await rpc.terminate();
    }
  });

  it('hands back the startup report before any request, and rejects a thread that exits before it', async () => {
    const { rpc, startup } = await WorkerRpc.startWithHandshake<Req, Rep, { ready: boolean }>(
      options({ workerData: { startup: { ready: true } }, unrefWhenIdle: true }),
    );
    try {
      expect(startup).toEqual({ ready: true });
      expect(await rpc.request({ op: 'echo', value: 'y' })).toEqual({ id: 1, value: 'y' });
    } finally {
      await rpc.terminate();
    }
    await expect(
      WorkerRpc.startWithHandshake<Req, Rep, { ready: boolean }>(
        options({ workerData: { exitBeforeStartup: true }, toError: (m) => new SideError(m) }),
      ),
    ).rejects.toThrow(new SideError('the echo thread exited (code 7) while starting'));
  });

  it('a terminated thread is not reported as a failure', async () => {
    const failures: Error[] = [];
    const rpc = WorkerRpc.start<Req, Rep>(options({ onFailure: (f) => failures.push(f) }));
    expect(await rpc.request({ op: 'echo', value: 'z' })).toEqual({ id: 1, value: 'z' });
    await rpc.terminate();
    await expect(rpc.request({ op: 'echo', value: 'after' })).rejects.toThrow('exited');
    expect(failures).toEqual([]);
  });
});
