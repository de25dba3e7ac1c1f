import { desEncryptBlock } from './des-crypt.js';

const LM_MAGIC = Buffer.from('KGS!@#$%', 'latin1');

/** Spreads 7 key bytes over 8 DES key bytes (the low bit of each is DES parity, ignored). */
function desKeyFrom7(str: Buffer): Buffer {
  const key = Buffer.from([
    str[0]! >> 1,
    ((str[0]! & 0x01) << 6) | (str[1]! >> 2),
    ((str[1]! & 0x03) << 5) | (str[2]! >> 3),
    ((str[2]! & 0x07) << 4) | (str[3]! >> 4),
    ((str[3]! & 0x0f) << 3) | (str[4]! >> 5),
    ((str[4]! & 0x1f) << 2) | (str[5]! >> 6),
    ((str[5]! & 0x3f) << 1) | (str[6]! >> 7),
    str[6]! & 0x7f,
  ]);
  for (let i = 0; i < 8; i++) key[i] = (key[i]! << 1) & 0xff;
  return key;
}

/**
 * LAN Manager hash, as FreeRADIUS's `%{mschap:LM-Hash ...}` computes it (smbdes_lmpwdhash):
 * the password upper-cased (ASCII letters), cut or NUL-padded to 14 bytes, each 7-byte half a
 * DES key encrypting "KGS!@#$%". Only for checking stored legacy LM-Password values.
 */
export function lmHash(password: Buffer): Buffer {
  const p14 = Buffer.alloc(14);
  for (let i = 0; i < 14 && i < password.length; i++) {
    const c = password[i]!;
    p14[i] = c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
  }
  return Buffer.concat([desEncryptBlock(desKeyFrom7(p14.subarray(0, 7)), LM_MAGIC), desEncryptBlock(desKeyFrom7(p14.subarray(7)), LM_MAGIC)]);
}
