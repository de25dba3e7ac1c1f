import { describe, expect, it } from 'vitest';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { isSecretAttribute } from '../../src/policy/secret-attributes.js';
import { attributesRecord, printAttribute } from '../../src/server/attribute-text.js';

describe('one rule for secret values, in traces, logs and records', () => {
  const dict = loadDictionary();
  const def = (name: string) => dict.attributeByName(name)!;

  it('covers hidden, CHAP/ARAP and every password control attribute; not ordinary ones', () => {
    for (const name of ['User-Password', 'Tunnel-Password', 'CHAP-Password', 'ARAP-Password', 'Cleartext-Password',
      'SSHA2-512-Password', 'NT-Password', 'Crypt-Password', 'Password-With-Header', 'PBKDF2-Password']) {
      expect(isSecretAttribute(def(name)), name).toBe(true);
    }
    for (const name of ['User-Name', 'NAS-IP-Address', 'Reply-Message', 'Auth-Type']) expect(isSecretAttribute(def(name)), name).toBe(false);
  });

  it('the server prints them as <hidden> and leaves them out of records', () => {
    const avps = [
      { def: def('User-Name'), value: Buffer.from('bob') },
      { def: def('CHAP-Password'), value: Buffer.from('0123456789abcdef0', 'latin1') },
      { def: def('Cleartext-Password'), value: Buffer.from('s3cret') },
    ];
    expect(avps.map(printAttribute)).toEqual(['User-Name = "bob"', 'CHAP-Password = <hidden>', 'Cleartext-Password = <hidden>']);
    expect(attributesRecord(avps)).toEqual({ 'User-Name': 'bob' });
  });
});
