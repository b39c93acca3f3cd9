/** Messages between the core and its PGlite thread. */

export interface PgliteThreadInit {
  readonly dataDir: string;
}

export type PgliteRequest =
  | {
      readonly id: number;
      readonly op: 'query';
      readonly sql: string;
      readonly params: readonly unknown[];
      /** Opens a transaction first: a transaction's BEGIN rides with its first statement. */
      readonly begin?: boolean;
    }
  | { readonly id: number; readonly op: 'exec'; readonly sql: string; readonly begin?: boolean }
  | { readonly id: number; readonly op: 'close' };

/** A database error as it crosses the thread: the message plus PostgreSQL's fields (code, constraint, ...). */
export interface PgliteErrorData {
  readonly name: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export type PgliteReply =
  | { readonly id: number; readonly ok: true; readonly rows: unknown[]; readonly rowCount: number }
  | { readonly id: number; readonly ok: false; readonly error: PgliteErrorData };

export type PgliteStartup = { readonly ready: true } | { readonly ready: false; readonly error: PgliteErrorData };

/** The fields of a thrown value that survive the thread boundary. */
export function errorData(err: unknown): PgliteErrorData {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) {
    if (value === undefined || typeof value === 'function' || typeof value === 'object') continue;
    fields[key] = value;
  }
  return { name: err.name, message: err.message, fields };
}
