import { describe, expect, it } from 'vitest';
import { Code } from '../../src/protocol/codes.js';
import { Dictionary, noFlags, type AttributeDef } from '../../src/protocol/dictionary.js';
import type { Avp } from '../../src/protocol/attribute.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { FREERADIUS_VENDOR_ID, StatusCounterAttributes } from '../../src/server/status-counters.js';

/** Value of one sample line (`name{labels} value`) in a Prometheus exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const part of (m[3] ?? '').match(/\w+="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = part.indexOf('=');
      got[part.slice(0, eq)] = part.slice(eq + 2, -1);
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) {
      return Number(m[4]);
    }
  }
  return undefined;
}

describe('ServerMetrics', () => {
  it('exports per-client request, response and duplicate counters', async () => {
    const m = new ServerMetrics({ processMetrics: false });
    const lab = m.client('lab', '127.0.0.0', 8);
    const nas = m.client('nas2', '10.0.0.1', 32);
    for (let i = 0; i < 3; i++) lab.request(Code.AccessRequest);
    lab.response(Code.AccessAccept, 0.0002);
    lab.response(Code.AccessReject, 0.0003);
    lab.duplicate(Code.AccessRequest);
    nas.request(Code.AccountingRequest);
    nas.response(Code.AccountingResponse, 0.001);
    nas.request(Code.StatusServer);
    const t = await m.text();
    expect(sample(t, 'radius_requests_total', { client: 'lab', type: 'Access-Request' })).toBe(3);
    expect(sample(t, 'radius_requests_total', { client: 'nas2', type: 'Accounting-Request' })).toBe(1);
    expect(sample(t, 'radius_requests_total', { client: 'nas2', type: 'Status-Server' })).toBe(1);
    expect(sample(t, 'radius_responses_total', { client: 'lab', code: 'Access-Accept' })).toBe(1);
    expect(sample(t, 'radius_responses_total', { client: 'lab', code: 'Access-Reject' })).toBe(1);
    expect(sample(t, 'radius_responses_total', { client: 'nas2', code: 'Accounting-Response' })).toBe(1);
    expect(sample(t, 'radius_duplicate_requests_total', { client: 'lab' })).toBe(1);
    expect(sample(t, 'radius_request_duration_seconds_count')).toBe(3);
    expect(sample(t, 'radius_request_duration_seconds_bucket', { le: '0.00025' })).toBe(1);
    expect(sample(t, 'radius_request_duration_seconds_bucket', { le: '0.0005' })).toBe(2);
    expect(sample(t, 'radius_request_duration_seconds_bucket', { le: '+Inf' })).toBe(3);
    expect(sample(t, 'radius_request_duration_seconds_sum')).toBeCloseTo(0.0015, 9);
    // FreeRADIUS-style totals follow.
    expect(m.auth).toMatchObject({ requests: 3, accepts: 1, rejects: 1, responses: 2, duplicates: 1 });
    expect(m.acct).toMatchObject({ requests: 1, responses: 1 });
  });

  it('binds the same counters object for a client across reloads', () => {
    const m = new ServerMetrics({ processMetrics: false });
    const a = m.client('lab');
    a.request(Code.AccessRequest);
    expect(m.client('lab')).toBe(a);
    expect(m.client('lab').requests.access).toBe(1);
  });

  it('counts drops by reason, zero series present for every known reason', async () => {
    const m = new ServerMetrics({ processMetrics: false });
    m.drop('unknown_client');
    m.drop('unknown_client');
    const lab = m.client('lab');
    lab.drop('bad_message_authenticator', Code.AccessRequest);
    lab.drop('too_short');
    lab.drop('rate_limited', Code.AccountingRequest);
    lab.drop('wrong_port', Code.AccountingRequest);
    const t = await m.text();
    expect(sample(t, 'radius_dropped_packets_total', { reason: 'unknown_client' })).toBe(2);
    expect(sample(t, 'radius_dropped_packets_total', { reason: 'bad_message_authenticator' })).toBe(1);
    expect(sample(t, 'radius_dropped_packets_total', { reason: 'too_short' })).toBe(1);
    expect(sample(t, 'radius_dropped_packets_total', { reason: 'attribute_overflow' })).toBe(0);
    expect(sample(t, 'radius_dropped_packets_total', { reason: 'overloaded' })).toBe(0);
    expect(m.dropped('unknown_client')).toBe(2);
    // FreeRADIUS categories: malformed / invalid (bad authenticators) / dropped / unknown types.
    expect(m.auth).toMatchObject({ malformed: 1, badAuthenticators: 1, dropped: 2 });
    expect(m.acct).toMatchObject({ dropped: 1, unknownTypes: 1 });
    expect(lab.auth).toMatchObject({ malformed: 1, badAuthenticators: 1, dropped: 0 });
  });

  it('counts reloads, config generation and store lookups', async () => {
    let now = 1_700_000_000_000;
    const m = new ServerMetrics({ processMetrics: false, now: () => now });
    m.reload(true, 1);
    now += 60_000;
    m.reload(true, 2);
    m.reload(false);
    const files = m.store('files');
    files.found += 2;
    files.notFound++;
    m.store('sqlite').errors++;
    m.gauge('radius_duplicate_cache_entries', 'Entries in the duplicate cache.', () => 42);
    const t = await m.text();
    expect(sample(t, 'radius_reloads_total', { result: 'ok' })).toBe(2);
    expect(sample(t, 'radius_reloads_total', { result: 'error' })).toBe(1);
    expect(sample(t, 'radius_config_generation')).toBe(2);
    expect(sample(t, 'radius_last_reload_time_seconds')).toBe(1_700_000_060);
    expect(sample(t, 'radius_start_time_seconds')).toBe(1_700_000_000);
    expect(sample(t, 'radius_store_lookups_total', { source: 'files', result: 'found' })).toBe(2);
    expect(sample(t, 'radius_store_lookups_total', { source: 'files', result: 'not_found' })).toBe(1);
    expect(sample(t, 'radius_store_lookups_total', { source: 'sqlite', result: 'error' })).toBe(1);
    expect(sample(t, 'radius_duplicate_cache_entries')).toBe(42);
    expect(m.uptimeSeconds()).toBe(60);
  });

  it('keeps its own registry: two instances do not share numbers', async () => {
    const a = new ServerMetrics({ processMetrics: false });
    const b = new ServerMetrics({ processMetrics: false });
    a.drop('unknown_client');
    expect(sample(await b.text(), 'radius_dropped_packets_total', { reason: 'unknown_client' })).toBe(0);
  });

  it('exports process metrics when asked (default)', async () => {
    const m = new ServerMetrics();
    const t = await m.text();
    expect(sample(t, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
  });

  it('hot-path counters add up exactly over a million calls', () => {
    const m = new ServerMetrics({ processMetrics: false });
    const c = m.client('lab');
    for (let i = 0; i < 1_000_000; i++) {
      c.request(Code.AccessRequest);
      c.response(Code.AccessAccept, 0.0001);
    }
    expect(c.requests.access).toBe(1_000_000);
  });

  it('finds clients for Status-Server by contained address and by number', () => {
    const m = new ServerMetrics({ processMetrics: false });
    m.client('net', '10.0.0.0', 8);
    const host = m.client('host', '10.1.2.3', 32);
    const v6 = m.client('v6', '::1', 128);
    expect(m.clientByAddress('10.1.2.3')).toBe(host);
    expect((m.clientByAddress('10.9.9.9') as unknown as { name: string }).name).toBe('net');
    expect(m.clientByAddress('0:0:0:0:0:0:0:1')).toBe(v6);
    expect(m.clientByAddress('192.168.0.1')).toBeUndefined();
    expect(m.clientByNumber(1)).toBe(host);
    expect(m.clientByNumber(9)).toBeUndefined();
  });
});

describe('radius_request_duration_seconds', () => {
  it('counts a duration equal to a bound into that bound (le semantics), cumulative, with sum and count', async () => {
    const m = new ServerMetrics({ processMetrics: false });
    const c = m.client('lab');
    c.response(Code.AccessAccept, 0.0001);
    c.response(Code.AccessAccept, 0.0003);
    c.response(Code.AccessReject, 5);
    c.response(Code.AccessReject); // re-sent duplicate: no duration
    const t = await m.text();
    expect(t).toContain('# TYPE radius_request_duration_seconds histogram');
    expect(sample(t, 'radius_request_duration_seconds_bucket', { le: '0.00005' })).toBe(0);
    expect(sample(t, 'radius_request_duration_seconds_bucket', { le: '0.0001' })).toBe(1);
    expect(sample(t, 'radius_request_duration_seconds_bucket', { le: '0.0005' })).toBe(2);
    expect(sample(t, 'radius_request_duration_seconds_bucket', { le: '2.5' })).toBe(2);
    expect(sample(t, 'radius_request_duration_seconds_bucket', { le: '+Inf' })).toBe(3);
    expect(sample(t, 'radius_request_duration_seconds_count')).toBe(3);
    expect(sample(t, 'radius_request_duration_seconds_sum')).toBeCloseTo(5.0004, 9);
  });
});

function frDef(type: number, name: string, dataType: AttributeDef['dataType']): AttributeDef {
  return { name, vendorId: FREERADIUS_VENDOR_ID, type, dataType, flags: noFlags(), valuesByName: new Map(), namesByValue: new Map() };
}

function uint(def: AttributeDef, n: number): Avp {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(n);
  return { def, value };
}

describe('StatusCounterAttributes', () => {
  const statsType = frDef(127, 'FreeRADIUS-Statistics-Type', 'integer');
  const clientIp = frDef(167, 'FreeRADIUS-Stats-Client-IP-Address', 'ipaddr');

  function setup() {
    const m = new ServerMetrics({ processMetrics: false, now: () => 1_700_000_000_000 });
    const lab = m.client('lab', '127.0.0.1', 32);
    for (let i = 0; i < 5; i++) lab.request(Code.AccessRequest);
    lab.response(Code.AccessAccept, 0.001);
    lab.response(Code.AccessReject, 0.001);
    lab.drop('bad_message_authenticator', Code.AccessRequest);
    m.drop('unknown_client');
    lab.request(Code.AccountingRequest);
    lab.response(Code.AccountingResponse);
    return { m, lab, attrs: new StatusCounterAttributes(new Dictionary()) };
  }

  const byName = (avps: Avp[]) => Object.fromEntries(avps.map((a) => [a.def.name, a.def.dataType === 'ipaddr' ? a.value.join('.') : a.value.readUInt32BE(0)]));

  it('adds nothing without FreeRADIUS-Statistics-Type (plain Status-Server)', () => {
    const { m, attrs } = setup();
    expect(attrs.build([], m)).toEqual([]);
    expect(attrs.build([uint(statsType, 0)], m)).toEqual([]);
  });

  it('Authentication: server-wide auth counters with FreeRADIUS names and numbers', () => {
    const { m, attrs } = setup();
    const out = attrs.build([uint(statsType, 1)], m);
    expect(out.every((a) => a.def.vendorId === 11344 && a.value.length === 4)).toBe(true);
    expect(out.map((a) => a.def.type)).toEqual([128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 191]);
    expect(byName(out)).toMatchObject({
      'FreeRADIUS-Total-Access-Requests': 5,
      'FreeRADIUS-Total-Access-Accepts': 1,
      'FreeRADIUS-Total-Access-Rejects': 1,
      'FreeRADIUS-Total-Auth-Responses': 2,
      'FreeRADIUS-Total-Auth-Invalid-Requests': 1,
      'FreeRADIUS-Total-Auth-Dropped-Requests': 1,
    });
  });

  it('All (0x1f): auth, acct and the start / HUP times', () => {
    const { m, attrs } = setup();
    const out = byName(attrs.build([uint(statsType, 0x1f)], m));
    expect(out['FreeRADIUS-Total-Accounting-Requests']).toBe(1);
    expect(out['FreeRADIUS-Total-Accounting-Responses']).toBe(1);
    expect(out['FreeRADIUS-Stats-Start-Time']).toBe(1_700_000_000);
    expect(out['FreeRADIUS-Stats-HUP-Time']).toBe(1_700_000_000);
  });

  it('Client (0x21) with Stats-Client-IP-Address: totals (as stats.c), then the address echoed and that client', () => {
    const { m, attrs, lab } = setup();
    m.client('other', '10.0.0.1', 32).request(Code.AccessRequest);
    const known = attrs.build([uint(statsType, 0x21), { def: clientIp, value: Buffer.from([127, 0, 0, 1]) }], m);
    const at = known.findIndex((a) => a.def.type === 167);
    expect(at).toBe(11);
    expect(known[0]!.value.readUInt32BE(0)).toBe(6); // server-wide Total-Access-Requests
    expect(byName(known.slice(at))).toMatchObject({
      'FreeRADIUS-Stats-Client-IP-Address': '127.0.0.1',
      'FreeRADIUS-Total-Access-Requests': lab.auth.requests,
      'FreeRADIUS-Total-Auth-Invalid-Requests': 1,
    });
    expect(lab.auth.requests).toBe(5);
    const unknown = attrs.build([uint(statsType, 0x21), { def: clientIp, value: Buffer.from([192, 168, 0, 1]) }], m);
    expect(unknown.some((a) => a.def.type === 167)).toBe(false);
    expect(unknown).toHaveLength(11);
  });

  it('uses the dictionary definitions when present', () => {
    const dict = new Dictionary();
    const real = dict.addAttribute(frDef(128, 'FreeRADIUS-Total-Access-Requests', 'integer'));
    const { m } = setup();
    const out = new StatusCounterAttributes(dict).build([uint(statsType, 1)], m);
    expect(out[0]!.def).toBe(real);
  });
});
