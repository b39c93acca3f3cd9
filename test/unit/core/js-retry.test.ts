import { JetStreamApiError } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { isTransientJsError, retryTransientJs } from '../../../core/ingest/js-retry.js';

const apiError = (code: number): JetStreamApiError =>
  new JetStreamApiError({ code: 503, err_code: code, description: `code ${code}` });

describe('JetStream setup retries', () => {
  it('calls a timeout, no responders and a cluster without a leader transient, and nothing else', () => {
    expect(isTransientJsError(new TimeoutError())).toBe(true);
    expect(isTransientJsError(new RequestError('x', { cause: new NoRespondersError('$JS.API.INFO') }))).toBe(true);
    expect(isTransientJsError(new Error('wrapped', { cause: new TimeoutError() }))).toBe(true);
    expect(isTransientJsError(apiError(10008))).toBe(true);
    expect(isTransientJsError(apiError(10059))).toBe(false);
    expect(isTransientJsError(new Error('permissions violation'))).toBe(false);
  });

  it('tries again after a transient error and stops at the first other one, naming the call', async () => {
    let calls = 0;
    await expect(
      retryTransientJs('stream X', () => {
        calls++;
        return calls < 3 ? Promise.reject(new TimeoutError()) : Promise.resolve('made');
      }),
    ).resolves.toBe('made');
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      retryTransientJs('stream X', () => {
        calls++;
        return Promise.reject(apiError(10059));
      }),
    ).rejects.toThrow(/^stream X: code 10059/);
    expect(calls).toBe(1);
  });

  it('gives up on a transient error once the deadline has passed', async () => {
    let calls = 0;
    await expect(
      retryTransientJs(
        'stream X',
        () => {
          calls++;
          return Promise.reject(new TimeoutError());
        },
        250,
      ),
    ).rejects.toThrow(/^stream X: /);
    expect(calls).toBeGreaterThan(1);
  });
});
