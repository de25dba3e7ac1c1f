import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Avp } from '../../../src/protocol/attribute.js';
import { checkPbkdf2, crypt, hashPbkdf2, hashSsha2_512, papAuthorize, passwordAttrDef, verifyPap } from '../../../src/policy/passwords/index.js';
import { desEncryptBlock } from '../../../src/policy/passwords/des-crypt.js';
import { md4Pure } from '../../../src/policy/passwords/md4.js';

const hello = Buffer.from('hello');
const hellx = Buffer.from('hellx');

function avp(type: number, value: string): Avp {
  return { def: passwordAttrDef(type), value: Buffer.from(value, 'latin1') };
}

function pap(control: Avp[], password: Buffer) {
  const r = papAuthorize(control);
  return r.foundPassword ? verifyPap(r.control, password) : { ok: false, scheme: 'none', reason: 'pap_not_selected' };
}

describe('crypt (vectors from openssl passwd and python3 crypt / libxcrypt)', () => {
  const vectors: [string, string][] = [
    ['$1$abc$', '$1$abc$jWy0FsfCoVBK.I85XpXf30'], // openssl passwd -1 -salt abc hello
    ['$5$a.b/c$', '$5$a.b/c$lCcgx7u1iE4jC495w7tfKqILjwb2XiJd9wUBkjvkP0C'], // openssl passwd -5 -salt a.b/c hello
    ['$6$x$', '$6$x$LApZLVWNC21zoBmE5vVPo5ALikXnJ9jf3oDEHjRFmdAPkbbHS6Rr4fTMG2U9fJXplNjv7w1jxbexyKqEblxaN1'], // openssl passwd -6 -salt x hello
    ['$6$rounds=1000$0123456789abcdef$', '$6$rounds=1000$0123456789abcdef$Xpl88OwKFJCC/bJ1MHrZEwmNgdI07fm8feje8dv2i252WrHGj8qJaReZjDe.BAJ2sKbHoRr8DkiiZ9DBtZhT90'],
    ['$5$rounds=5000$salt$', '$5$rounds=5000$salt$ZYXsK0pxpaRWBUweKuToC90TC/15c9Iz8u3SGLTaS4D'], // explicit default rounds stay in the output
    ['$6$saltsaltsaltsaltsalt$', '$6$saltsaltsaltsalt$ua.elKIsVqsncaZdfPTxy3xzt9aGdjjy9Hy4H8xeB1ao22O3Ii1w2U2vGiVNjO6bn9XVy03Iiw74WyBL.fU/e0'], // salt cut to 16
    ['$1$saltsaltsalt$', '$1$saltsalt$fFhQNRZ9A4AYLdo7vOe8a0'], // salt cut to 8
    ['$5$$', '$5$$TCRu/ts4Npu8OJyeWy2WnUHCe/6bKVMSi0sROUrPh48'], // empty salt
  ];
  for (const [setting, expected] of vectors) {
    it(`crypt("hello", "${setting}")`, () => {
      expect(crypt(hello, setting)).toBe(expected);
      expect(crypt(hello, expected)).toBe(expected);
    });
  }

  it('refuses what libxcrypt refuses ("*0"): rounds out of range or with a leading zero, bad salt characters', () => {
    for (const setting of ['$5$rounds=999$salt$', '$5$rounds=0100$salt$', '$6$rounds=1000000000$s$', '$5$rounds=abc$salt$', '$6$x*y$', '$1$x:y$', '$6$a b$']) {
      expect(crypt(hello, setting), setting).toBeUndefined();
    }
  });

  it('Crypt-Password accepts hello, rejects hellx, and names the format', () => {
    const control = [avp(1006, '$6$x$LApZLVWNC21zoBmE5vVPo5ALikXnJ9jf3oDEHjRFmdAPkbbHS6Rr4fTMG2U9fJXplNjv7w1jxbexyKqEblxaN1')];
    expect(pap(control, hello)).toEqual({ ok: true, scheme: 'Crypt-Password($6$)' });
    expect(pap(control, hellx)).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('a stored crypt string with anything after the hash does not match (strcmp of the whole string)', () => {
    expect(pap([avp(1006, '$1$abc$jWy0FsfCoVBK.I85XpXf30x')], hello).ok).toBe(false);
  });

  it('traditional DES crypt (python3 crypt vectors): 2-character salt, first 8 characters count', () => {
    expect(crypt(hello, 'ab')).toBe('abl0JrMf6tlhw');
    expect(crypt(hello, './')).toBe('./3EFEosN1X5c');
    expect(crypt(Buffer.from('password123'), 'zZ')).toBe('zZDDIZ0NOlPzw');
    expect(crypt(Buffer.alloc(0), 'AA')).toBe('AA0iBY3PDwjYo');
    expect(crypt(Buffer.from('password123'), 'zZDDIZ0NOlPzw')).toBe(crypt(Buffer.from('password'), 'zZ'));
    expect(pap([avp(1006, 'abl0JrMf6tlhw')], hello)).toEqual({ ok: true, scheme: 'Crypt-Password(des)' });
    expect(pap([avp(1006, 'abl0JrMf6tlhw')], hellx)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(crypt(hello, 'a')).toBeUndefined();
  });

  it('formats FreeRADIUS accepts through libxcrypt but this server does not compute are reported as unsupported', () => {
    expect(pap([avp(1006, '$2b$04$abcdefghijklmnopqrstuuwHJMEGjfAzmL1lWmUmlphguIbWfjYey')], hello)).toMatchObject({ ok: false, scheme: 'Crypt-Password($2b$)', reason: 'unsupported_scheme' });
    expect(pap([avp(1006, '$y$j9T$abcdefghijklmnop$owssCdIYYt.GWnnLxYcKhIaBI0GdaCEQhnyCB0itSdA')], hello)).toMatchObject({ reason: 'unsupported_scheme' });
  });
});

describe('PBKDF2-Password (vectors from python3 hashlib.pbkdf2_hmac)', () => {
  const salt = 'EBESExQVFhcYGRobHB0eHw=='; // bytes 0x10..0x1f
  const crypt256 = `$PBKDF2$HMACSHA2+256:1000:${salt}$Lq7AFwJatpeAnd8DPhp0jecfgNcnxcmSE1kruqCY3Pk=`;
  it('reads the Crypt::PBKDF2 crypt, LDAP and passlib formats', () => {
    expect(checkPbkdf2(Buffer.from(crypt256), hello)).toEqual({ result: 'ok', digest: 'HMACSHA2+256' });
    expect(checkPbkdf2(Buffer.from(crypt256), hellx)).toEqual({ result: 'reject', digest: 'HMACSHA2+256' });
    const ldap = `{X-PBKDF2}HMACSHA2+256:AAAQAA==:${salt}:mEC07EKgGMBY20dOJMAj3S2y7QXg5Y2PczMZHvbCxYA=`;
    expect(checkPbkdf2(Buffer.from(ldap), hello).result).toBe('ok');
    expect(checkPbkdf2(Buffer.from(ldap.replace('{X-PBKDF2}', '')), hello).result).toBe('ok');
    expect(checkPbkdf2(Buffer.from(ldap.replace('AAAQAA==', 'AAAQAA')), hello).result).toBe('ok');
    expect(checkPbkdf2(Buffer.from(ldap.replace('HMACSHA2+256', 'hmacsha2+256')), hello).result).toBe('ok');
    const passlib = `$pbkdf2-sha512$1000$${salt}$+IwwkccHhGLXGMFrUOkSpsvWTZTuUFKRHY9PQMp99loFdPfXiqLm5QfsVKtvILp76odiF/74EN3WPQZLNJpQIw==`;
    expect(checkPbkdf2(Buffer.from(passlib), hello)).toEqual({ result: 'ok', digest: 'HMACSHA2+512' });
  });

  it("refuses passlib's ab64 alphabet, unknown digests and broken values, as 3.2.1 does", () => {
    const ab64 = '$pbkdf2-sha512$1000$EBESExQVFhcYGRobHB0eHw$.IwwkccHhGLXGMFrUOkSpsvWTZTuUFKRHY9PQMp99loFdPfXiqLm5QfsVKtvILp76odiF/74EN3WPQZLNJpQIw';
    expect(checkPbkdf2(Buffer.from(ab64), hello).result).toBe('invalid');
    expect(checkPbkdf2(Buffer.from(crypt256.replace('HMACSHA2+256', 'HMACMD5')), hello).result).toBe('invalid');
    expect(checkPbkdf2(Buffer.from('$PBKDF2$HMACSHA2+256:1x00:' + salt + '$AA=='), hello).result).toBe('invalid');
    expect(checkPbkdf2(Buffer.from('$PBKDF2$HMACSHA2+256:1000:' + salt + '$AAAA'), hello).result).toBe('invalid');
    expect(checkPbkdf2(Buffer.from('$argon2id$v=19$...'), hello).result).toBe('invalid');
    expect(checkPbkdf2(Buffer.from('$'), hello).result).toBe('invalid');
  });

  it('zero iterations count as one (measured: accepted by 3.2.1)', () => {
    // python: hashlib.pbkdf2_hmac("sha256", b"hello", bytes(range(16, 32)), 1)
    const value = `$PBKDF2$HMACSHA2+256:0:${salt}$9t+dqSonbzPpR3MvLFdc04fDxojjFlPBgjSFQUS8YUc=`;
    expect(checkPbkdf2(Buffer.from(value), hello).result).toBe('ok');
    expect(checkPbkdf2(Buffer.from(value.replace(':0:', ':2:')), hello).result).toBe('reject');
  });

  it('hashPbkdf2 produces a value both FreeRADIUS formats accept: {X-PBKDF2} LDAP with a random salt', () => {
    const stored = hashPbkdf2(hello, { iterations: 2000 });
    expect(stored).toMatch(/^\{X-PBKDF2\}HMACSHA2\+256:AAAH0A==:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/]{43}=$/);
    expect(stored).not.toBe(hashPbkdf2(hello, { iterations: 2000 }));
    expect(pap([avp(1101, stored)], hello)).toEqual({ ok: true, scheme: 'PBKDF2-Password(HMACSHA2+256)' });
    expect(pap([avp(1101, stored)], hellx)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyPap([avp(1181, stored)], hello).ok).toBe(true);
    expect(hashPbkdf2(hello, { digest: 'sha512', iterations: 1000 })).toMatch(/^\{X-PBKDF2\}HMACSHA2\+512:/);
    expect(() => hashPbkdf2(hello, { iterations: 0 })).toThrow(RangeError);
    expect(() => hashPbkdf2(hello, { saltLength: 8 })).toThrow(RangeError);
  });
});

describe('hashSsha2_512', () => {
  it('is base64 of SHA-512(plain || salt) || salt with a random 16-byte salt', () => {
    const stored = hashSsha2_512(hello);
    const raw = Buffer.from(stored, 'base64');
    expect(raw.length).toBe(80);
    expect(raw.subarray(0, 64)).toEqual(createHash('sha512').update(hello).update(raw.subarray(64)).digest());
    expect(stored).not.toBe(hashSsha2_512(hello));
  });
  it('round-trips through pap as SSHA2-512-Password', () => {
    const control = [avp(1180, hashSsha2_512(hello))];
    expect(pap(control, hello)).toEqual({ ok: true, scheme: 'SSHA2-512-Password' });
    expect(pap(control, hellx)).toMatchObject({ ok: false, reason: 'mismatch' });
  });
  it('refuses short salts', () => {
    expect(() => hashSsha2_512(hello, 8)).toThrow(RangeError);
  });
});

describe('MD4 (RFC 1320 test suite)', () => {
  const suite: [string, string][] = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, digest] of suite) {
    it(`MD4("${input.slice(0, 20)}")`, () => expect(md4Pure(Buffer.from(input)).toString('hex')).toBe(digest));
  }
});

describe('DES core', () => {
  it('matches the classic published vector (key 133457799BBCDFF1)', () => {
    expect(desEncryptBlock(Buffer.from('133457799BBCDFF1', 'hex'), Buffer.from('0123456789ABCDEF', 'hex')).toString('hex')).toBe('85e813540f0ab405');
  });
});
