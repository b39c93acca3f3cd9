/** Anything that runs SQL: the database itself, or a transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ rows: R[]; rowCount: number }>;
}

/** An open transaction: statements, and scripts of several statements, inside it. */
export interface Transaction extends Queryable {
  /**
   * Runs a script of several statements (the database's own multi-statement exec: PostgreSQL's
   * simple query protocol, PGlite's exec), with no parameters, inside this transaction.
   */
  exec(sql: string): Promise<void>;
}

/**
 * PostgreSQL, whether a real server (`pg`) or embedded PGlite. One SQL dialect serves both.
 * int8 columns may come back as string, bigint or number: convert with Number() at the repo.
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction; rolls back if it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Runs a script of several statements. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}
