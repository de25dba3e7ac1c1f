import type { Avp } from '../../protocol/attribute.js';
import { Attr } from '../../protocol/attribute-numbers.js';
import { Code } from '../../protocol/codes.js';

/**
 * One row of FreeRADIUS's `radpostauth` as we write it. FreeRADIUS's stock post-auth query
 * writes username, pass (the submitted User-Password or CHAP-Password), reply and authdate; we
 * write the same columns except the password (always NULL: a table of submitted passwords,
 * wrong ones included, is a gift to whoever reads it), plus CalledStationId, CallingStationId
 * and Class, which the schema has and the stock query leaves empty.
 */
export interface PostAuthRow {
  username: string;
  reply: 'Access-Accept' | 'Access-Reject';
  calledStationId: string | null;
  callingStationId: string | null;
  authdate: Date;
  /** The reply's Class as FreeRADIUS prints octets (`0x` + hex), when the reply has one. */
  class: string | null;
}

/** PostgreSQL text cannot hold NUL; FreeRADIUS's sql_escape_func writes it as `=00`. */
function text(value: Buffer): string {
  return value.toString('utf8').replaceAll('\0', '=00');
}

function first(attributes: readonly Avp[], type: number): Buffer | undefined {
  for (const a of attributes) if (a.def.vendorId === 0 && a.def.type === type) return a.value;
  return undefined;
}

/**
 * The row for an Access-Request answered `replyCode`, or undefined when FreeRADIUS would not run
 * post-auth for it (an Access-Challenge, or anything but an Accept or a Reject).
 */
export function postAuthRow(request: readonly Avp[], replyCode: number, reply: readonly Avp[], at: Date): PostAuthRow | undefined {
  if (replyCode !== Code.AccessAccept && replyCode !== Code.AccessReject) return undefined;
  const user = first(request, Attr.UserName);
  const called = first(request, Attr.CalledStationId);
  const calling = first(request, Attr.CallingStationId);
  const cls = first(reply, Attr.Class);
  return {
    username: user ? text(user) : '',
    reply: replyCode === Code.AccessAccept ? 'Access-Accept' : 'Access-Reject',
    calledStationId: called ? text(called) : null,
    callingStationId: calling ? text(calling) : null,
    authdate: at,
    class: cls ? `0x${cls.toString('hex')}` : null,
  };
}

/** One INSERT for many rows (column arrays unnested: one round trip, one plan, any batch size). */
export function insertRows(rows: readonly PostAuthRow[]): { text: string; values: unknown[] } {
  return {
    text: 'INSERT INTO radpostauth (username, pass, reply, calledstationid, callingstationid, authdate, class) '
      + 'SELECT u, NULL, r, cd, cg, d, c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[]) AS t(u, r, cd, cg, d, c)',
    values: [
      rows.map((r) => r.username), rows.map((r) => r.reply), rows.map((r) => r.calledStationId),
      rows.map((r) => r.callingStationId), rows.map((r) => r.authdate), rows.map((r) => r.class),
    ],
  };
}
