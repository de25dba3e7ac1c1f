/**
 * Protocol edge cases against FreeRADIUS 3.2.1 on loopback (same datagram to both): replies to
 * 4096-octet requests full of Proxy-State, and User-Names with control characters, where we
 * deliberately differ (stated in the README).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';

import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { type DiffRequest, freeRadiusAvailable } from './harness.js';
import { DiffRig, expectSameAnswers } from './rig.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DICT = join(ROOT, 'dictionaries/dictionary');
const SECRET = 'testing123';
const SHA = '35675e68f4b5af7b995d9205ad0fc43842f16450';
const available = freeRadiusAvailable();
if (!available) console.warn('FreeRADIUS is not installed: skipping the edge-case differential test (it runs when CI=true)');

let dict: Dictionary;
let rig: DiffRig;
beforeAll(async () => {
  if (!available) return;
  dict = loadDictionary(DICT);
  rig = await DiffRig.start({ usersFile: join(ROOT, 'config/authorize'), dictionary: DICT, dict, secret: SECRET, sqlite: false });
}, 60_000);
afterAll(async () => { await rig?.stop(); });

/** username01 from 192.168.1.88 (six Vutlan attributes), padded with Proxy-State to exactly 4096 octets. */
function fullOfProxyState(signed: boolean): DiffRequest {
  // header, User-Name "username01", NAS-IP-Address, User-Password (40 octets -> 48 hidden), MA
  let room = 4096 - (20 + 12 + 6 + 50 + (signed ? 18 : 0));
  const attrs: [string, string][] = [['User-Name', 'username01'], ['NAS-IP-Address', '192.168.1.88']];
  for (let i = 0; room > 0; i++) {
    const n = Math.min(253, room - 2);
    attrs.push(['Proxy-State', `0x${Buffer.alloc(n, i + 1).toString('hex')}`]);
    room -= n + 2;
  }
  return { label: `4096 octets of Proxy-State${signed ? ', signed' : ''}`, attrs, pap: SHA, messageAuthenticator: signed };
}

const VUTLAN = ['SRead = "all,"', 'SWrite = "all,"', 'CRead = "all,"', 'CWrite = "all,"', 'GRead = "all,"', 'GWrite = "all,"'];

describe.skipIf(!available)('replies never exceed 4096 octets and never lose reply attributes', () => {
  it('unsigned request: the same answer as FreeRADIUS (all six attributes, then the Proxy-States that fit)', async () => {
    const a = await rig.ask(fullOfProxyState(false));
    expectSameAnswers(a);
    const ours = a.ours[0]!.answer;
    expect(ours.raw!.length).toBeLessThanOrEqual(4096);
    expect(ours.attrs.slice(0, 6)).toEqual(VUTLAN);
  });

  it('signed request: all six attributes like FreeRADIUS; Proxy-State echoed in order as far as room is left after Message-Authenticator', async () => {
    const a = await rig.ask(fullOfProxyState(true));
    const fr = a.freeradius;
    const ours = a.ours[0]!.answer;
    expect(fr.code).toBe('Access-Accept');
    expect(ours.code).toBe('Access-Accept');
    expect(ours.authentic).toBe(true);
    expect(ours.messageAuthenticator).toBe('first');
    expect(ours.raw!.length).toBeLessThanOrEqual(4096);
    const notPs = (l: string[]) => l.filter((x) => !x.startsWith('Proxy-State'));
    expect(notPs(ours.attrs)).toEqual(VUTLAN);
    expect(notPs(ours.attrs)).toEqual(notPs(fr.attrs));
    const ps = (l: string[]) => l.filter((x) => x.startsWith('Proxy-State'));
    expect(ps(ours.attrs).length).toBeGreaterThan(0);
    expect(ps(fr.attrs).slice(0, ps(ours.attrs).length)).toEqual(ps(ours.attrs));
  });
});

describe.skipIf(!available)('User-Name with control characters (a deliberate difference)', () => {
  it('FreeRADIUS 3.2.1 cuts the name at NUL and accepts "username01\\0x"; we reject it with reason user_name_control_character', async () => {
    const a = await rig.ask({ label: 'NUL', attrs: [['User-Name', 'username01\\000x'], ['NAS-IP-Address', '192.168.1.88']], pap: SHA });
    expect(a.freeradius.code).toBe('Access-Accept');
    const ours = a.ours[0]!;
    expect(ours.answer.code).toBe('Access-Reject');
    expect(ours.answer.authentic).toBe(true);
    expect(ours.trace.join('\n')).toContain('reject reason: user_name_control_character');
  });

  it('other control characters: both reject (no such user for FreeRADIUS, user_name_control_character for us)', async () => {
    for (const name of ['username01\\n', 'username01\\033[0m', 'username01\\177']) {
      const a = await rig.ask({ label: name, attrs: [['User-Name', name], ['NAS-IP-Address', '192.168.1.88']], pap: SHA });
      expect(a.freeradius.code, name).toBe('Access-Reject');
      expect(a.ours[0]!.answer.code, name).toBe('Access-Reject');
      expect(a.ours[0]!.trace.join('\n'), name).toContain('reject reason: user_name_control_character');
    }
  });
});
