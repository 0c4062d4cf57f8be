import type { DataSource } from 'typeorm';

interface PgClientLike {
  on(event: 'error', listener: (error: Error) => void): unknown;
  listeners(event: 'error'): unknown[];
}
interface PgPoolLike {
  on(event: 'connect', listener: (client: PgClientLike) => void): unknown;
  _clients?: PgClientLike[];
}

/**
 * pg emits 'error' on a client when the server ends its connection (Postgres restart,
 * pg_terminate_backend). TypeORM listens only while a query runner holds the client and removes its
 * listener on the first error; an 'error' with no listener makes Node end the process. A permanent
 * listener on every pooled client keeps the service alive; the pool still discards the broken client
 * and the next query gets a fresh one.
 */
export function keepPostgresClientErrorsNonFatal(
  dataSource: DataSource,
  onError: (error: Error) => void,
): void {
  const pool = (dataSource.driver as unknown as { master?: PgPoolLike }).master;
  if (!pool) return;
  const guard = (client: PgClientLike): void => {
    if (!client.listeners('error').includes(onError)) client.on('error', onError);
  };
  pool.on('connect', guard);
  for (const client of pool._clients ?? []) guard(client);
}
