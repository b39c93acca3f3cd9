export { CoreError, CoreErrorCode } from './errors.js';
export { createCoreLogger } from './logger.js';
export type { Logger } from './logger.js';
export { CoreConfigSchema, loadCoreConfig, parseCoreConfig } from './config.js';
export type { CoreConfig } from './config.js';
export { openDatabase, startCore } from './main.js';
export type { CoreHandle } from './main.js';
export type { Database, Queryable, Transaction } from './db/database.js';
export { migrate } from './db/migrate.js';
export { countEvents, getEvent, insertEvent, listEvents } from './events/events-repo.js';
export { validateEventMessage } from './ingest/validate.js';
export { verifyAuditExport } from './audit/verify-log.js';
export type { AuditExport, VerifyResult } from './audit/verify-log.js';
export { parseCheckpointJson, parseExportJson } from './audit/export-format.js';
export { verifyExportLines, splitLines } from './audit/verify-stream.js';
export type { StreamVerifyResult } from './audit/verify-stream.js';
export { EXPORT_FORMAT_V2, EXTRACT_FORMAT_V2, parseHeader } from './audit/export-lines.js';
export type { ExportHeader } from './audit/export-lines.js';
export { Frontier, LogVerifier } from './audit/stream-verify.js';
export type { SignedCheckpoint } from './audit/checkpoint.js';
export { API_METHODS, API_SERVICES } from './api/registry.js';
export type { ApiMethod, ApiService } from './api/method.js';
export { sweepRetention } from './retention/retention.js';
export { verifyExtract, parseExtractJson, isExtractJson } from './audit/extract.js';
export type { AuditExtract } from './audit/extract.js';
export { entryLeafHash } from './audit/entry.js';
export { isCheckpointSigned } from './audit/checkpoint.js';
export { verifyInclusion } from './audit/merkle.js';
export { isPdf, pdfAttachments } from './evidence-package/attachments.js';
export {
  reasonLabel,
  reviewStateLabel,
  signalLabel,
  storyLine,
  storySentence,
  timeWithMs,
} from './console/audit-labels.js';
export { ensureIngestTopology } from './ingest/topology.js';
export { backupCore, createBackupDir, readBackup, restoreCore } from './backup/backup.js';
export { BACKUP_FORMAT, BackupManifest, fileEntry, safeName } from './backup/manifest.js';
