import { createHash } from 'node:crypto';
import type { Avp } from '../../protocol/attribute.js';
import { formatValue } from '../../protocol/values.js';
import { sqlEscape } from '../../policy/sql-row.js';

/**
 * FreeRADIUS 3.2's stock PostgreSQL accounting queries (mods-config/sql/main/postgresql/
 * queries.conf, `accounting { type { ... } }`) for one Accounting-Request, as parameterised
 * statements. Pure: no I/O. rlm_sql runs the queries of the request's Acct-Status-Type in order
 * until one affects a row (a failing query also moves to the next); the caller does the same.
 *
 * - Start: INSERT ... ON CONFLICT (AcctUniqueId) DO UPDATE (open row), else UPDATE the times.
 * - Interim-Update: UPDATE the open row, else INSERT ... ON CONFLICT DO NOTHING.
 * - Stop: UPDATE the open row, else INSERT, else UPDATE the (closed) row.
 * - Accounting-On / Off: close every open session of the NAS.
 * Values are what the xlat prints (VALUE names for integers, dotted addresses), escaped like
 * rlm_sql's sql_escape_func, so the rows are the same column for column. Acct-Unique-Session-Id
 * is computed by the default `acct_unique` policy; times come from Event-Timestamp, else the
 * time the request was received (`%l`).
 */

/** One statement to try. */
export interface SqlStatement {
  text: string;
  values: unknown[];
  /** A name for it as a prepared statement: the same for every statement of the same text. */
  name: string;
}

/**
 * The text of a status type's n-th statement, normalised and named, built once: it depends only
 * on the status type (the values are parameters); the raw text is compared, so a text that did
 * depend on a value would be built again, never misnamed.
 */
const texts = new Map<string, { raw: string; text: string; name: string }>();

/** What the queries are built from. */
export interface AccountingInput {
  /** The request attributes (passwords never present in accounting). */
  attributes: readonly Avp[];
  /** Source address of the packet (preprocess adds it as NAS-IP-Address when missing). */
  srcAddress: string;
  /** When it was received, ms since the epoch. */
  receivedAt: number;
}

const STATUS: Record<number, 'start' | 'stop' | 'interim-update' | 'accounting-on' | 'accounting-off'> = {
  1: 'start', 2: 'stop', 3: 'interim-update', 7: 'accounting-on', 8: 'accounting-off',
};

function first(attrs: readonly Avp[], type: number): Avp | undefined {
  for (const a of attrs) if (a.def.vendorId === 0 && a.def.type === type && a.tag === undefined) return a;
  for (const a of attrs) if (a.def.vendorId === 0 && a.def.type === type) return a;
  return undefined;
}

/** `%{Attr}`: the printed value, or '' when absent. */
function text(attrs: readonly Avp[], type: number): string {
  const a = first(attrs, type);
  return a ? formatValue(a.def, a.value) : '';
}

function int(attrs: readonly Avp[], type: number): number | undefined {
  const a = first(attrs, type);
  if (!a || a.value.length !== 4) return undefined;
  return a.value.readUInt32BE(0);
}

const A = {
  userName: 1, nasIp: 4, nasPort: 5, serviceType: 6, framedProtocol: 7, framedIp: 8, class: 25, calledStation: 30,
  callingStation: 31, nasIdentifier: 32, acctStatusType: 40, acctInputOctets: 42, acctOutputOctets: 43, acctSessionId: 44,
  acctAuthentic: 45, acctSessionTime: 46, acctTerminateCause: 49, acctInputGigawords: 52, acctOutputGigawords: 53,
  eventTimestamp: 55, nasPortType: 61, connectInfo: 77, nasPortId: 87, framedInterfaceId: 96, framedIpv6Prefix: 97,
  nasIpv6: 95, delegatedIpv6Prefix: 123, framedIpv6Address: 168,
} as const;

/** The NAS address as preprocess leaves it: the attribute, else the packet's source. */
function nasAddress(input: AccountingInput): { v6: string; v4: string } {
  const v6 = text(input.attributes, A.nasIpv6);
  let v4 = text(input.attributes, A.nasIp);
  if (!v4 && !v6) {
    const src = input.srcAddress.startsWith('::ffff:') ? input.srcAddress.slice(7) : input.srcAddress;
    if (src.includes(':')) return { v6: src, v4: '' };
    v4 = src;
  }
  return { v6, v4 };
}

/** `Acct-Unique-Session-Id` of the default `acct_unique` policy (raddb/policy.d/accounting). */
export function acctUniqueSessionId(input: AccountingInput): string {
  const attrs = input.attributes;
  const sessionId = text(attrs, A.acctSessionId);
  const cls = first(attrs, A.class);
  if (cls) {
    const m = /^ai:([0-9a-f]{32})/i.exec(cls.value.toString('latin1'));
    if (m) return createHash('md5').update(`${m[1]},${sessionId}`).digest('hex');
  }
  const nas = nasAddress(input);
  const parts = [text(attrs, A.userName), sessionId, nas.v6 || nas.v4, text(attrs, A.nasIdentifier), text(attrs, A.nasPortId), text(attrs, A.nasPort)];
  return createHash('md5').update(parts.join(','), 'utf8').digest('hex');
}

/**
 * The rows a record's queries touch: those of its AcctUniqueId (Start, Interim-Update, Stop),
 * every open session of its NAS (Accounting-On / Off), or none (a type without queries). Records
 * of different AcctUniqueIds commute; a NAS-wide one is ordered against all others.
 */
export function radacctScope(input: AccountingInput): { uid: string } | 'nas' | 'none' {
  const status = STATUS[int(input.attributes, A.acctStatusType) ?? -1];
  if (!status) return 'none';
  if (status === 'accounting-on' || status === 'accounting-off') return 'nas';
  return { uid: acctUniqueSessionId(input) };
}

/** The status type's queries in rlm_sql's order; empty for a type the stock config has none for. */
export function radacctStatements(input: AccountingInput): SqlStatement[] {
  const attrs = input.attributes;
  const status = STATUS[int(attrs, A.acctStatusType) ?? -1];
  if (!status) return [];
  // parameters of the statement being built; stmt() hands them over and starts the next one
  let values: unknown[] = [];
  let ref = new Map<string, string>();
  /** A parameter (reused when the same name is used twice in one statement). */
  const p = (name: string, v: unknown, cast = ''): string => {
    let r = ref.get(name);
    if (!r) {
      values.push(v);
      r = `$${values.length}`;
      ref.set(name, r);
    }
    return cast ? `${r}::${cast}` : r;
  };
  const s = (type: number) => sqlEscape(text(attrs, type));
  const nas = nasAddress(input);
  const epoch = int(attrs, A.eventTimestamp) ?? Math.floor(input.receivedAt / 1000);
  const ts = () => `TO_TIMESTAMP(${p('epoch', epoch, 'bigint')})`;
  const epochX = () => p('epoch', epoch, 'bigint');
  const uid = () => p('uid', acctUniqueSessionId(input), 'text');
  const sessionTime = int(attrs, A.acctSessionTime);
  const octets = (giga: number, oct: number, name: string) =>
    `((${p(`${name}g`, String(int(attrs, giga) ?? 0), 'bigint')} << 32) + ${p(`${name}o`, String(int(attrs, oct) ?? 0), 'bigint')})`;
  const inOctets = () => octets(A.acctInputGigawords, A.acctInputOctets, 'in');
  const outOctets = () => octets(A.acctOutputGigawords, A.acctOutputOctets, 'out');
  const nasIp = () => p('nasip', sqlEscape(nas.v6 || nas.v4), 'inet');
  const portId = () => `NULLIF(${p('portid', sqlEscape(text(attrs, A.nasPortId) || text(attrs, A.nasPort)), 'text')}, '')`;
  const str = (name: string, type: number) => p(name, s(type), 'text');
  const inet = (name: string, type: number) => `NULLIF(${p(name, s(type), 'text')}, '')::inet`;
  const framed = () => ({
    ip: inet('fip', A.framedIp), ip6: inet('fip6', A.framedIpv6Address), prefix6: inet('fpfx6', A.framedIpv6Prefix),
    ifid: `NULLIF(${str('fifid', A.framedInterfaceId)}, '')`, delegated: inet('dpfx6', A.delegatedIpv6Prefix),
  });
  const columns = `AcctSessionId, AcctUniqueId, UserName, Realm, NASIPAddress, NASPortId, NASPortType, AcctStartTime,
    AcctUpdateTime, AcctStopTime, AcctSessionTime, AcctAuthentic, ConnectInfo_start, ConnectInfo_Stop, AcctInputOctets,
    AcctOutputOctets, CalledStationId, CallingStationId, AcctTerminateCause, ServiceType, FramedProtocol, FramedIpAddress,
    FramedIpv6Address, FramedIpv6Prefix, FramedInterfaceId, DelegatedIpv6Prefix`;
  let n = 0;
  const stmt = (sql: string): SqlStatement => {
    const key = `${status}/${n++}`;
    let t = texts.get(key);
    if (t?.raw !== sql) {
      const text = sql.replace(/\s+/g, ' ').trim();
      t = { raw: sql, text, name: `radacct_${createHash('sha1').update(text).digest('hex').slice(0, 16)}` };
      texts.set(key, t);
    }
    const st = { text: t.text, name: t.name, values };
    values = [];
    ref = new Map();
    return st;
  };
  // realms are not modelled: Realm is what FreeRADIUS writes for a request without one (NULL)
  const insert = (start: string, update: string, stop: string, sessTime: string, authentic: string, input: string, output: string, cause: string, protocol: string, onConflict: string) => {
    const f = framed();
    return stmt(`INSERT INTO radacct (${columns}) VALUES (${str('sid', A.acctSessionId)}, ${uid()}, ${p('user', s(A.userName), 'text')}, NULL,
      ${nasIp()}, ${portId()}, ${str('porttype', A.nasPortType)}, ${start}, ${update}, ${stop}, ${sessTime}, ${authentic},
      ${str('connect', A.connectInfo)}, NULL, ${input}, ${output}, ${str('called', A.calledStation)}, ${str('calling', A.callingStation)},
      ${cause}, ${str('service', A.serviceType)}, ${protocol}, ${f.ip}, ${f.ip6}, ${f.prefix6}, ${f.ifid}, ${f.delegated}) ${onConflict}`);
  };
  const sessTimeOrNull = () => p('sesstime', sessionTime === undefined ? null : String(sessionTime), 'bigint');

  switch (status) {
    case 'accounting-on':
    case 'accounting-off': {
      const cause = sqlEscape(text(attrs, A.acctTerminateCause) || 'NAS-Reboot');
      return [stmt(`UPDATE radacct SET AcctStopTime = ${ts()}, AcctUpdateTime = ${ts()},
        AcctSessionTime = (${epochX()} - EXTRACT(EPOCH FROM(AcctStartTime))), AcctTerminateCause = ${p('cause', cause, 'text')}
        WHERE AcctStopTime IS NULL AND NASIPAddress = ${nasIp()} AND AcctStartTime <= ${ts()}`)];
    }
    case 'start':
      return [
        insert(ts(), ts(), 'NULL', '0', str('authentic', A.acctAuthentic), '0', '0', 'NULL', str('protocol', A.framedProtocol),
          `ON CONFLICT (AcctUniqueId) DO UPDATE SET AcctStartTime = ${ts()}, AcctUpdateTime = ${ts()}, ConnectInfo_start = ${str('connect', A.connectInfo)}
           WHERE radacct.AcctUniqueId = ${uid()} AND radacct.AcctStopTime IS NULL`),
        stmt(`UPDATE radacct SET AcctStartTime = ${ts()}, AcctUpdateTime = ${ts()}, ConnectInfo_start = ${str('connect', A.connectInfo)}
          WHERE AcctUniqueId = ${uid()}`),
      ];
    case 'interim-update': {
      const f = framed();
      return [
        stmt(`UPDATE radacct SET FramedIPAddress = ${f.ip}, FramedIPv6Address = ${f.ip6}, FramedIPv6Prefix = ${f.prefix6},
          FramedInterfaceId = ${f.ifid}, DelegatedIPv6Prefix = ${f.delegated}, AcctSessionTime = ${sessTimeOrNull()},
          AcctInterval = (${epochX()} - EXTRACT(EPOCH FROM (COALESCE(AcctUpdateTime, AcctStartTime)))), AcctUpdateTime = ${ts()},
          AcctInputOctets = ${inOctets()}, AcctOutputOctets = ${outOctets()}
          WHERE AcctUniqueId = ${uid()} AND AcctStopTime IS NULL`),
        insert(ts(), ts(), 'NULL', sessTimeOrNull(), str('authentic', A.acctAuthentic), inOctets(), outOctets(), 'NULL',
          str('protocol', A.framedProtocol), 'ON CONFLICT (AcctUniqueId) DO NOTHING'),
      ];
    }
    case 'stop': {
      const f = framed();
      const sessTime = `COALESCE(${sessTimeOrNull()}, (${epochX()} - EXTRACT(EPOCH FROM(AcctStartTime))))`;
      const set = `AcctStopTime = ${ts()}, AcctUpdateTime = ${ts()}, AcctSessionTime = ${sessTime},
        AcctInputOctets = ${inOctets()}, AcctOutputOctets = ${outOctets()}, AcctTerminateCause = ${str('cause', A.acctTerminateCause)},
        FramedIPAddress = ${f.ip}, FramedIPv6Address = ${f.ip6}, FramedIPv6Prefix = ${f.prefix6}, FramedInterfaceId = ${f.ifid},
        DelegatedIPv6Prefix = ${f.delegated}, ConnectInfo_stop = ${str('connect', A.connectInfo)}`;
      return [
        stmt(`UPDATE radacct SET ${set} WHERE AcctUniqueId = ${uid()} AND AcctStopTime IS NULL`),
        insert(`TO_TIMESTAMP(${epochX()} - ${p('sesstime0', String(sessionTime ?? 0), 'bigint')})`, ts(), ts(),
          `NULLIF(${p('sesstimetext', sessionTime === undefined ? '' : String(sessionTime), 'text')}, '')::bigint`,
          str('authentic', A.acctAuthentic), inOctets(), outOctets(), str('cause', A.acctTerminateCause), str('protocol', A.framedProtocol),
          'ON CONFLICT (AcctUniqueId) DO NOTHING'),
        stmt(`UPDATE radacct SET ${set} WHERE AcctUniqueId = ${uid()}`),
      ];
    }
  }
}
