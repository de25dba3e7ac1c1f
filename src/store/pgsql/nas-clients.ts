import type pg from 'pg';
import type { ClientConfig, MessageAuthenticatorPolicy } from '../../server/config.js';

/**
 * RADIUS clients from FreeRADIUS's `nas` table (rlm_sql `read_clients`, opt-in with
 * `users.sql.read_clients: true`): nasname is the address or CIDR, secret the shared secret,
 * shortname the name, type the NAS type. FreeRADIUS reads the table only at start (#2382); we
 * read it again whenever it changes (change log or fingerprint), so a new NAS is answered within
 * a poll interval. `require_message_authenticator` comes from a `require_ma` column when the
 * table has one (FreeRADIUS v4's schema adds it: yes / no / auto), else it is `auto`.
 */

export interface NasRow {
  id: number;
  nasname: string;
  shortname: string | null;
  type: string | null;
  secret: string;
  requireMa?: string | null;
}

/** Reads the nas table (with require_ma when the column exists). */
export async function selectNas(client: pg.Client): Promise<NasRow[]> {
  const col = await client.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'nas' AND column_name = 'require_ma'");
  const withMa = (col.rows[0]?.n ?? 0) > 0;
  const r = await client.query<NasRow & { require_ma?: string | null }>(
    `SELECT id, nasname, shortname, type, secret${withMa ? ', require_ma' : ''} FROM nas ORDER BY id`);
  return r.rows.map((x) => ({ id: x.id, nasname: x.nasname, shortname: x.shortname, type: x.type, secret: x.secret, ...(withMa ? { requireMa: x.require_ma ?? null } : {}) }));
}

/** A cheap change marker for the nas table (fingerprint mode). */
export async function nasFingerprint(client: pg.Client): Promise<string> {
  const r = await client.query<{ f: string }>(
    "SELECT count(*)::text || ':' || coalesce(sum(hashtext(concat_ws(chr(1), id, nasname, shortname, type, secret)))::bigint, 0)::text AS f FROM nas");
  return r.rows[0]!.f;
}

/** The rows as client definitions; rows that cannot be used are returned as problems. */
export function nasClients(rows: readonly NasRow[], origin: string): { clients: ClientConfig[]; problems: string[] } {
  const clients: ClientConfig[] = [];
  const problems: string[] = [];
  for (const r of rows) {
    const ma = (r.requireMa ?? 'auto').trim().toLowerCase();
    if (ma !== 'yes' && ma !== 'no' && ma !== 'auto') {
      problems.push(`nas row id ${r.id} (${r.nasname}): require_ma must be yes, no or auto, not "${r.requireMa}"`);
      continue;
    }
    if (!r.secret) {
      problems.push(`nas row id ${r.id} (${r.nasname}): empty secret`);
      continue;
    }
    clients.push({
      name: r.shortname?.trim() || r.nasname,
      address: r.nasname.trim(),
      secret: r.secret,
      requireMessageAuthenticator: ma as MessageAuthenticatorPolicy,
      ...(r.type ? { nasType: r.type } : {}),
      origin: { file: origin, line: r.id },
    });
  }
  return { clients, problems };
}
