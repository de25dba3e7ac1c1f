/**
 * FreeRADIUS-compatible statistics in Status-Server replies (`sites-available/status`,
 * src/main/stats.c `request_stats_reply`). A monitoring tool that queries FreeRADIUS with
 *
 *   echo 'Message-Authenticator = 0x00, FreeRADIUS-Statistics-Type = All' | radclient HOST:PORT status SECRET
 *
 * gets the same attributes from us. Counters are only added when the request carries
 * FreeRADIUS-Statistics-Type (vendor 11344, attribute 127) with a non-zero value; a plain
 * Status-Server keeps getting a bare Access-Accept, as RFC 5997 expects.
 */
import type { Avp } from '../protocol/attribute.js';
import { noFlags, type AttributeDef, type DataType, type Dictionary } from '../protocol/dictionary.js';
import { formatIp, parseIp } from './ip-prefix.js';

/** FreeRADIUS's IANA enterprise number, the vendor of its statistics attributes. */
export const FREERADIUS_VENDOR_ID = 11344;

/** FreeRADIUS-Statistics-Type bits (dictionary.freeradius VALUEs). */
export const StatisticsType = {
  Authentication: 0x01,
  Accounting: 0x02,
  ProxyAuthentication: 0x04,
  ProxyAccounting: 0x08,
  Internal: 0x10,
  Client: 0x20,
  Server: 0x40,
  HomeServer: 0x80,
} as const;

/**
 * One set of RADIUS counters, the fields of FreeRADIUS's `fr_stats_t`. Plain numbers: the
 * request path increments them directly (no allocation, no label hashing); the Prometheus
 * endpoint and Status-Server read them.
 */
export class RadiusCounters {
  /** Requests received and accepted for processing (after client lookup and decoding). */
  requests = 0;
  accepts = 0;
  rejects = 0;
  challenges = 0;
  /** Replies sent (any code), including re-sent duplicates' replies. */
  responses = 0;
  /** Retransmissions answered from the duplicate cache or dropped as in progress. */
  duplicates = 0;
  /** Structurally invalid datagrams (length, attribute walk, Message-Authenticator length). */
  malformed = 0;
  /** Wrong Message-Authenticator or Request Authenticator (FreeRADIUS "Invalid-Requests"). */
  badAuthenticators = 0;
  /** Dropped for any other reason: unknown client, rate limits, overload. */
  dropped = 0;
  /** Packet codes the port does not handle. */
  unknownTypes = 0;
  /** Same source/port/identifier with a different authenticator while the first was in progress. */
  conflicts = 0;
}

/** Counters of one configured client, as Status-Server reports them with Statistics-Type Client. */
export interface ClientStatsView {
  auth: RadiusCounters;
  acct: RadiusCounters;
  /** The client's configured address (IPv4 or IPv6 literal) and prefix length. */
  address: string;
  prefix: number;
}

/** What a Status-Server statistics reply reads. */
export interface StatsSource {
  auth: RadiusCounters;
  acct: RadiusCounters;
  /** Unix seconds the server started. */
  startTime: number;
  /** Unix seconds of the last successful reload (the start time before any). */
  hupTime: number;
  /** Finds a client by the address a request names in FreeRADIUS-Stats-Client-IP(v6)-Address. */
  clientByAddress?(address: string): ClientStatsView | undefined;
  /** Finds a client by its position (0-based) in the client list, FreeRADIUS-Stats-Client-Number. */
  clientByNumber?(n: number): ClientStatsView | undefined;
}

const AUTH_ATTRS: readonly [number, string, keyof RadiusCounters][] = [
  [128, 'FreeRADIUS-Total-Access-Requests', 'requests'],
  [129, 'FreeRADIUS-Total-Access-Accepts', 'accepts'],
  [130, 'FreeRADIUS-Total-Access-Rejects', 'rejects'],
  [131, 'FreeRADIUS-Total-Access-Challenges', 'challenges'],
  [132, 'FreeRADIUS-Total-Auth-Responses', 'responses'],
  [133, 'FreeRADIUS-Total-Auth-Duplicate-Requests', 'duplicates'],
  [134, 'FreeRADIUS-Total-Auth-Malformed-Requests', 'malformed'],
  [135, 'FreeRADIUS-Total-Auth-Invalid-Requests', 'badAuthenticators'],
  [136, 'FreeRADIUS-Total-Auth-Dropped-Requests', 'dropped'],
  [137, 'FreeRADIUS-Total-Auth-Unknown-Types', 'unknownTypes'],
  [191, 'FreeRADIUS-Total-Auth-Conflicts', 'conflicts'],
];

const ACCT_ATTRS: readonly [number, string, keyof RadiusCounters][] = [
  [148, 'FreeRADIUS-Total-Accounting-Requests', 'requests'],
  [149, 'FreeRADIUS-Total-Accounting-Responses', 'responses'],
  [150, 'FreeRADIUS-Total-Acct-Duplicate-Requests', 'duplicates'],
  [151, 'FreeRADIUS-Total-Acct-Malformed-Requests', 'malformed'],
  [152, 'FreeRADIUS-Total-Acct-Invalid-Requests', 'badAuthenticators'],
  [153, 'FreeRADIUS-Total-Acct-Dropped-Requests', 'dropped'],
  [154, 'FreeRADIUS-Total-Acct-Unknown-Types', 'unknownTypes'],
  [192, 'FreeRADIUS-Total-Acct-Conflicts', 'conflicts'],
];

const STATISTICS_TYPE = 127;
const CLIENT_IP = 167;
const CLIENT_NUMBER = 168;
const CLIENT_NETMASK = 169;
const START_TIME = 176;
const HUP_TIME = 177;
const CLIENT_IPV6 = 188;

/**
 * Builds the statistics attributes of a Status-Server reply. Definitions are resolved once
 * against the dictionary (synthesized with FreeRADIUS's names if it lacks dictionary.freeradius).
 */
export class StatusCounterAttributes {
  private readonly defs = new Map<number, AttributeDef>();

  constructor(dict: Dictionary) {
    const want: [number, string, DataType][] = [
      ...AUTH_ATTRS.map(([n, name]) => [n, name, 'integer'] as [number, string, DataType]),
      ...ACCT_ATTRS.map(([n, name]) => [n, name, 'integer'] as [number, string, DataType]),
      [CLIENT_IP, 'FreeRADIUS-Stats-Client-IP-Address', 'ipaddr'],
      [CLIENT_NUMBER, 'FreeRADIUS-Stats-Client-Number', 'integer'],
      [CLIENT_NETMASK, 'FreeRADIUS-Stats-Client-Netmask', 'integer'],
      [START_TIME, 'FreeRADIUS-Stats-Start-Time', 'date'],
      [HUP_TIME, 'FreeRADIUS-Stats-HUP-Time', 'date'],
      [CLIENT_IPV6, 'FreeRADIUS-Stats-Client-IPv6-Address', 'ipv6addr'],
    ];
    for (const [type, name, dataType] of want) {
      this.defs.set(
        type,
        dict.attributeByCode(FREERADIUS_VENDOR_ID, type) ?? {
          name,
          vendorId: FREERADIUS_VENDOR_ID,
          type,
          dataType,
          flags: noFlags(),
          valuesByName: new Map(),
          namesByValue: new Map(),
        },
      );
    }
  }

  /**
   * The statistics a Status-Server request asks for, in FreeRADIUS's order; [] when it carries
   * no (or a zero) FreeRADIUS-Statistics-Type. Bits follow stats.c: Authentication/Accounting
   * give the server totals unless Client or Server is also set; Internal gives the start and
   * HUP times; Client with Stats-Client-IP-Address (or -Number) gives that client's counters and
   * echoes the address. Proxy, Server (per listener) and Home-Server bits add nothing: this
   * server neither proxies nor keeps per-listener counters.
   */
  build(request: readonly Avp[], source: StatsSource): Avp[] {
    const flag = this.findInteger(request, STATISTICS_TYPE);
    if (flag === undefined || flag === 0) return [];
    const out: Avp[] = [];
    if (flag & StatisticsType.Authentication && !(flag & 0xc0)) this.addCounters(out, AUTH_ATTRS, source.auth);
    if (flag & StatisticsType.Accounting && !(flag & 0xc0)) this.addCounters(out, ACCT_ATTRS, source.acct);
    if (flag & StatisticsType.Internal) {
      out.push(this.uint(START_TIME, source.startTime), this.uint(HUP_TIME, source.hupTime));
    }
    if (flag & StatisticsType.Client) this.addClient(out, request, flag, source);
    return out;
  }

  private addClient(out: Avp[], request: readonly Avp[], flag: number, source: StatsSource): void {
    let client: ClientStatsView | undefined;
    const byIp = request.find((a) => isFr(a, CLIENT_IP) && a.value.length === 4);
    const byIp6 = request.find((a) => isFr(a, CLIENT_IPV6) && a.value.length === 16);
    const byNumber = this.findInteger(request, CLIENT_NUMBER);
    if (byIp) {
      client = source.clientByAddress?.(byIp.value.join('.'));
      if (client) out.push({ def: this.defs.get(CLIENT_IP)!, value: Buffer.from(byIp.value) });
    } else if (byIp6) {
      client = source.clientByAddress?.(formatIp(6, byIp6.value));
      if (client) out.push({ def: this.defs.get(CLIENT_IPV6)!, value: Buffer.from(byIp6.value) });
    } else if (byNumber !== undefined) {
      client = source.clientByNumber?.(byNumber);
      if (client) {
        out.push(this.uint(CLIENT_NUMBER, byNumber));
        const ip = parseIp(client.address);
        if (ip?.family === 4) {
          out.push({ def: this.defs.get(CLIENT_IP)!, value: ip.bytes });
          if (client.prefix !== 32) out.push(this.uint(CLIENT_NETMASK, client.prefix));
        }
      }
    }
    if (!client) return;
    if (flag & StatisticsType.Authentication) this.addCounters(out, AUTH_ATTRS, client.auth);
    if (flag & StatisticsType.Accounting) this.addCounters(out, ACCT_ATTRS, client.acct);
  }

  private addCounters(out: Avp[], table: readonly [number, string, keyof RadiusCounters][], c: RadiusCounters): void {
    for (const [type, , field] of table) out.push(this.uint(type, c[field]));
  }

  private uint(type: number, n: number): Avp {
    const value = Buffer.allocUnsafe(4);
    // FreeRADIUS counters are 32-bit and wrap; so do ours on the wire.
    value.writeUInt32BE(Math.floor(n) % 0x1_0000_0000, 0);
    return { def: this.defs.get(type)!, value };
  }

  private findInteger(request: readonly Avp[], type: number): number | undefined {
    const a = request.find((x) => isFr(x, type) && x.value.length === 4);
    return a ? a.value.readUInt32BE(0) : undefined;
  }
}

function isFr(a: Avp, type: number): boolean {
  return a.def.vendorId === FREERADIUS_VENDOR_ID && a.def.type === type;
}
