export { isOutboxFullError, outboxLimits } from './limits.js';
export type { OutboxLimits, OutboxSizing } from './limits.js';
export { startOutboxMonitor } from './outbox-monitor.js';
export type { OutboxMonitor } from './outbox-monitor.js';
export { ReceiptPurger, purgeTarget } from './receipt-purger.js';
export type { PurgeTarget, ReceiptPurgerOptions } from './receipt-purger.js';
export { ensureSiteOutbox, outboxUsage } from './site-outbox.js';
export type { OutboxUsage, SiteOutboxOptions } from './site-outbox.js';
