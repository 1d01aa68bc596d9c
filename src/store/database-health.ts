import type { Pool } from './pool.js';

const HEALTH_QUERY_TIMEOUT_MS = 2_000;

/** Undefined when PostgreSQL answers within two seconds; otherwise what went wrong. */
export async function databaseProblem(pool: Pool): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${HEALTH_QUERY_TIMEOUT_MS} ms`), HEALTH_QUERY_TIMEOUT_MS);
  });
  const query = pool.query('SELECT 1').then(
    () => undefined,
    (error: Error) => error.message || String(error),
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
