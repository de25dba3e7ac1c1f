/**
 * The reason catalogue (src/server/reasons.ts) is the one definition of each drop and reject:
 * what the auth-fail log, the drop metric and the docs say all come from it. Checked on the
 * wire (datagrams in, auth-fail lines and counters out) and against docs/reasons.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DROPS, DROP_REASONS, REJECTS, STREAM_CLOSES, STREAM_REFUSALS, streamClose, type DropReason, type StreamEventInfo,
} from '../../src/server/reasons.js';
import { A, UdpClient, buildRequest } from '../support/raw-radius.js';
import { eventually, repoRoot, startTestServer, type TestServer } from './test-server.js';

const SECRET = 'testing123';

describe('docs/reasons.md', () => {
  const page = readFileSync(join(repoRoot, 'docs/reasons.md'), 'utf8');
  const rowsOf = (text: string) => text.split('\n').filter((l) => /^\| `[a-z_]+` \|/.test(l));
  const streamAt = page.indexOf('## Stream connections');
  const rows = rowsOf(page.slice(0, streamAt));
  const refusedRows = rowsOf(page.slice(page.indexOf('### Refused'), page.indexOf('### Closed')));
  const closedRows = rowsOf(page.slice(page.indexOf('### Closed')));
  const streamRow = (code: string, info: StreamEventInfo) =>
    `| \`${code}\` | ${info.text} | ${info.audit === null ? '(not written)' : `\`${info.audit}\``} | ${info.level} |`;

  it('has one row per drop with the catalogue\'s text, audit reason, counter and level', () => {
    for (const r of DROP_REASONS) {
      const d = DROPS[r];
      const audit = d.audit === null ? '(not written)' : `\`${d.audit}\``;
      expect(rows, r).toContain(`| \`${r}\` | ${d.text} | ${audit} | ${d.stats} | ${d.level} |`);
    }
  });

  it('has one row per reject and no code the catalogue does not know', () => {
    for (const [r, text] of Object.entries(REJECTS)) expect(rows, r).toContain(`| \`${r}\` | ${text} |`);
    expect(rows).toHaveLength(DROP_REASONS.length + Object.keys(REJECTS).length);
  });

  it('has one row per stream refusal and close, as the catalogue says, and no other', () => {
    expect(streamAt).toBeGreaterThan(0);
    expect(refusedRows).toEqual(Object.entries(STREAM_REFUSALS).map(([code, info]) => streamRow(code, info)));
    expect(closedRows).toEqual(Object.entries(STREAM_CLOSES).map(([code, info]) => streamRow(code, info)));
  });
});

describe('a drop is counted, logged and audited as the catalogue says', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => ts?.stop());

  const audited = (reason: DropReason, src: string) => {
    const info = DROPS[reason];
    return ts.authFailLines().find((l) => l.action === 'drop' && l.src === src && l.reason === info.audit &&
      (info.audit === reason ? l.detail === undefined : l.detail === reason));
  };

  it.each<[DropReason, string, (port: number) => Buffer]>([
    // structure: audited as `malformed` with the code in `detail`
    ['too_short', '127.0.0.1', () => buildRequest({ secret: SECRET, attrs: [A.userName('u')] }).buf.subarray(0, 19)],
    // policy of client lo-yes: audited under its own code
    ['missing_message_authenticator', '127.0.0.2', () => buildRequest({ secret: SECRET, attrs: [A.userName('u')], password: 'x' }).buf],
    // an Accounting-Request on the auth port: audited as `bad_code` with `wrong_port` in detail
    ['wrong_port', '127.0.0.3', () => buildRequest({ code: 4, secret: SECRET, attrs: [A.userName('u'), A.acctStatusType(1)] }).buf],
    ['unknown_client', '127.0.0.9', () => buildRequest({ secret: SECRET, attrs: [A.userName('u')] }).buf],
  ])('%s from %s', async (reason, src, datagram) => {
    const before = ts.server.metrics.dropped(reason);
    const c = await UdpClient.open(4, src);
    try {
      c.send(datagram(ts.auth), ts.auth);
      expect(await c.next(300)).toBeUndefined();
    } finally {
      c.close();
    }
    expect(await eventually(() => ts.server.metrics.dropped(reason) === before + 1)).toBe(true);
    expect(await eventually(() => audited(reason, src))).toBeTruthy();
  });
});

describe('stream closes', () => {
  it('a codec drop that ends a connection is audited as the drop is; the ordinary ones are not audited', () => {
    expect(streamClose('bad_message_authenticator')).toMatchObject({ audit: 'bad_message_authenticator', level: 'warn' });
    expect(streamClose('attribute_overflow')).toMatchObject({ audit: 'malformed', level: 'warn' });
    expect(streamClose('peer_closed')).toMatchObject({ audit: null, level: 'info' });
    expect(streamClose('client_removed')).toMatchObject({ audit: 'client_removed', level: 'warn' });
  });
});
