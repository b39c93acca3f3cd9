import { EnrolRequest, EnrolResponse, EnrolmentServiceService } from '../../proto/index.js';
import { appendAudit } from '../audit/audit-repo.js';
import { redeemEnrolment } from '../auth/enrolment.js';
import { mintToken } from '../auth/tokens.js';
import { insertToken } from '../auth/users-repo.js';
import { optionalText, requireText } from './args.js';
import { defineService, publicRpc } from './method.js';

/**
 * Enrolment: a person redeems the one-time code an admin handed them for a token of their own.
 * The one call without a bearer token; a wrong code is refused as UNAUTHENTICATED and audited
 * like any unauthenticated call. The token's secret exists only in the answer.
 */
export const enrolmentService = defineService(EnrolmentServiceService, {
  enrol: publicRpc(EnrolRequest, EnrolResponse, async (ctx, req) => {
    const code = requireText('code', req.code, 64);
    const label = optionalText('label', req.label, 128) || 'enrolment';
    const minted = mintToken();
    const expiresAtMs = ctx.nowMs + ctx.deps.config.auth.tokenTtlMs;
    const userId = await ctx.deps.db.transaction(async (tx) => {
      const { userId } = await redeemEnrolment(tx, code, ctx.nowMs);
      await insertToken(
        tx,
        { tokenId: minted.tokenId, userId, secretSha256: minted.secretSha256, label, expiresAtMs },
        ctx.nowMs,
      );
      await appendAudit(tx, {
        atMs: ctx.nowMs,
        actor: userId,
        action: 'user.enrolled',
        subject: `user:${userId}`,
        details: { tokenId: minted.tokenId, label, expiresAtMs },
      });
      return userId;
    });
    return { userId, token: minted.token, tokenId: minted.tokenId, expiresAtMs };
  }),
});
