import type { Principal } from '../auth/authenticator.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { grpcCodeName } from '../grpc/status-map.js';
import { findOutOfBounds } from '../input-bounds.js';
import type { ApiDeps, ApiMethod, CallContext, ChunkSink, StreamMethod } from './method.js';

/** The caller of a public method (enrolment): no token, no roles. */
const ANONYMOUS: Principal = { userId: 'anonymous', roles: [], tokenId: '' };

/** Core error codes that are refusals of authority; each one is audited. */
const DENIAL_CODES: ReadonlySet<CoreErrorCode> = new Set([
  CoreErrorCode.UNAUTHENTICATED,
  CoreErrorCode.PERMISSION_DENIED,
  CoreErrorCode.REVIEW_FORBIDDEN,
  CoreErrorCode.REVIEW_SAME_PERSON,
]);

export interface CallOrigin {
  readonly via: 'grpc' | 'http';
  readonly peer: string;
}

/** The short name of a method path: "ReviewService/ClaimEvent". */
export function methodName(path: string): string {
  return path.replace(/^\/zebra\.v1\./, '');
}

/**
 * Authenticates the token and checks the method's roles: the single place where both happen,
 * for gRPC and the JSON gateway. A refusal is audited before it is thrown.
 */
export async function admit(
  deps: ApiDeps,
  method: ApiMethod,
  token: string | undefined,
  origin: CallOrigin,
  nowMs: number,
): Promise<Principal> {
  if (method.isPublic) return ANONYMOUS;
  let principal: Principal | undefined;
  try {
    principal = await deps.authenticator.authenticate(token, nowMs);
    if (!method.roles.some((role) => principal!.roles.includes(role))) {
      throw new CoreError(
        CoreErrorCode.PERMISSION_DENIED,
        `${methodName(method.path)} needs the role ${method.roles.join(' or ')}; you have ${principal.roles.join(', ')}`,
      );
    }
    return principal;
  } catch (err) {
    await auditIfDenial(deps, method, principal?.userId ?? 'anonymous', err, origin, nowMs);
    throw err;
  }
}

/**
 * Refuses a request with a string over the generic cap or holding a NUL byte, or a number that
 * is not finite, before any handler sees it (each handler applies tighter, named limits).
 */
export function checkRequestBounds(request: unknown): void {
  const problem = findOutOfBounds(request);
  if (problem) throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, problem);
}

/**
 * Runs an admitted call's body with the bounds check, metrics and audit of refusals that every
 * method gets (refusals raised by the handler, e.g. same person twice, are audited too).
 */
async function instrumented<T>(
  deps: ApiDeps,
  method: ApiMethod,
  principal: Principal,
  request: unknown,
  origin: CallOrigin,
  body: (ctx: CallContext) => Promise<T>,
): Promise<T> {
  const nowMs = Date.now();
  // Metric labels: the full gRPC method name and gRPC code names, as gRPC's own metrics have them.
  const stop = deps.metrics.apiSeconds.startTimer({ method: method.path });
  try {
    checkRequestBounds(request);
    const result = await body({ principal, nowMs, deps });
    deps.metrics.apiCalls.inc({ method: method.path, code: 'OK' });
    return result;
  } catch (err) {
    deps.metrics.apiCalls.inc({ method: method.path, code: grpcCodeName(err) });
    await auditIfDenial(deps, method, principal.userId, err, origin, nowMs);
    throw err;
  } finally {
    stop();
  }
}

/** Runs an admitted unary call and returns its response. */
export async function runMethod(
  deps: ApiDeps,
  method: ApiMethod,
  principal: Principal,
  request: unknown,
  origin: CallOrigin,
): Promise<unknown> {
  if (method.kind !== 'unary') throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `${method.path} streams its answer`);
  return instrumented(deps, method, principal, request, origin, (ctx) => method.handle(ctx, request));
}

/** Runs an admitted server-streaming call, its chunks going to `sink`. */
export async function runStream(
  deps: ApiDeps,
  method: StreamMethod,
  principal: Principal,
  request: unknown,
  origin: CallOrigin,
  sink: ChunkSink<unknown>,
): Promise<void> {
  return instrumented(deps, method, principal, request, origin, (ctx) => method.stream(ctx, request, sink));
}

async function auditIfDenial(
  deps: ApiDeps,
  method: ApiMethod,
  actor: string,
  err: unknown,
  origin: CallOrigin,
  nowMs: number,
): Promise<void> {
  if (!(err instanceof CoreError) || !DENIAL_CODES.has(err.code)) return;
  await deps.denials.record(
    { actor, method: method.path, code: err.code, reason: err.message, via: origin.via, peer: origin.peer },
    nowMs,
  );
}
