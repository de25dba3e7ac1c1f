import { randomFillSync } from 'node:crypto';
import type { Avp } from '../protocol/attribute.js';
import type { Dictionary } from '../protocol/dictionary.js';
import { encodeRequest } from '../protocol/encode.js';
import type { UserScheme } from './bench-users.js';
import { HmacMd5, Md5 } from '../protocol/md5.js';

const USER_NAME = 1;
const USER_PASSWORD = 2;
const MESSAGE_AUTHENTICATOR = 80;

/** One attribute slot of the request layout, in wire order. */
type LayoutItem =
  | { kind: 'name' }
  | { kind: 'password' }
  | { kind: 'message-authenticator' }
  | { kind: 'fixed'; bytes: Buffer };

/** What the builder needs to know about the load. */
export interface AccessRequestBuilderOptions {
  dict: Dictionary;
  secret: Buffer;
  /** NAS-IP-Address to send (dotted quad). */
  nasIp: string;
  /** The generated users (names and passwords). */
  scheme: UserScheme;
}

function def(dict: Dictionary, name: string) {
  const d = dict.attributeByName(name);
  if (!d) throw new Error(`dictionary has no ${name}`);
  return d;
}

/**
 * Builds the benchmark's Access-Requests (User-Name, User-Password, NAS-IP-Address,
 * Message-Authenticator) for user i with a fresh random Request Authenticator, straight into
 * a caller-owned buffer with no allocation.
 *
 * The layout (attribute order, fixed attributes) is taken from one packet made by our codec's
 * `encodeRequest`, and `selfCheck()` proves the fast path writes byte-identical packets to
 * `encodeRequest` for the same inputs; only the identifier, authenticator, User-Name, hidden
 * User-Password and Message-Authenticator change per request.
 */
export class AccessRequestBuilder {
  private readonly layout: LayoutItem[] = [];
  private readonly md5 = new Md5();
  private readonly hmac: HmacMd5;
  private readonly secret: Buffer;
  private readonly pool = Buffer.alloc(16 * 4096);
  private poolOffset = this.pool.length;
  private readonly scheme: UserScheme;
  private readonly padded = Buffer.alloc(128);

  constructor(private readonly opts: AccessRequestBuilderOptions) {
    this.secret = opts.secret;
    this.scheme = opts.scheme;
    this.hmac = new HmacMd5(opts.secret);
    const template = this.encodeWithCodec(opts.scheme.first, Buffer.alloc(16), 0);
    for (let o = 20; o < template.length;) {
      const type = template[o]!;
      const len = template[o + 1]!;
      if (type === USER_NAME) this.layout.push({ kind: 'name' });
      else if (type === USER_PASSWORD) this.layout.push({ kind: 'password' });
      else if (type === MESSAGE_AUTHENTICATOR) this.layout.push({ kind: 'message-authenticator' });
      else this.layout.push({ kind: 'fixed', bytes: Buffer.from(template.subarray(o, o + len)) });
      o += len;
    }
  }

  /** The attributes of user i's request as our codec takes them. */
  private attributes(user: number): Avp[] {
    const { dict, nasIp } = this.opts;
    return [
      { def: def(dict, 'User-Name'), value: Buffer.from(this.scheme.name(user)) },
      { def: def(dict, 'User-Password'), value: Buffer.from(this.scheme.password(user)) },
      { def: def(dict, 'NAS-IP-Address'), value: Buffer.from(nasIp.split('.').map(Number)) },
    ];
  }

  /** User i's request encoded by `encodeRequest` (the reference the fast path must match). */
  encodeWithCodec(user: number, authenticator: Buffer, identifier: number): Buffer {
    return encodeRequest({
      code: 1,
      identifier,
      attributes: this.attributes(user),
      secret: this.secret,
      authenticator,
      messageAuthenticator: true,
    }).buffer;
  }

  /** Fills `out` with 16 fresh random octets (from a pool refilled 4096 requests at a time). */
  freshAuthenticator(out: Buffer, offset: number): void {
    if (this.poolOffset === this.pool.length) {
      randomFillSync(this.pool);
      this.poolOffset = 0;
    }
    this.pool.copy(out, offset, this.poolOffset, this.poolOffset + 16);
    this.poolOffset += 16;
  }

  /**
   * Writes user i's Access-Request with `identifier` and a fresh authenticator into `out`
   * (at least 4096 octets is always enough) and returns its length. The authenticator is
   * `out[4..20)` afterwards; `fixedAuthenticator` is for tests.
   */
  build(out: Buffer, user: number, identifier: number, fixedAuthenticator?: Buffer): number {
    out[0] = 1;
    out[1] = identifier;
    if (fixedAuthenticator) fixedAuthenticator.copy(out, 4);
    else this.freshAuthenticator(out, 4);
    let o = 20;
    let ma = -1;
    for (const item of this.layout) {
      switch (item.kind) {
        case 'name': {
          const n = out.write(this.scheme.name(user), o + 2, 'latin1');
          out[o] = USER_NAME;
          out[o + 1] = 2 + n;
          o += 2 + n;
          break;
        }
        case 'password':
          o = this.writeHiddenPassword(out, o, user);
          break;
        case 'message-authenticator':
          out[o] = MESSAGE_AUTHENTICATOR;
          out[o + 1] = 18;
          out.fill(0, o + 2, o + 18);
          ma = o + 2;
          o += 18;
          break;
        case 'fixed':
          item.bytes.copy(out, o);
          o += item.bytes.length;
          break;
      }
    }
    out[2] = o >>> 8;
    out[3] = o & 0xff;
    if (ma >= 0) this.hmac.macInto(out, 0, o, out, ma);
    return o;
  }

  /** RFC 2865 5.2 hiding of user i's password at `out[o]`; returns the offset after it. */
  private writeHiddenPassword(out: Buffer, o: number, user: number): number {
    const plainLength = this.padded.write(this.scheme.password(user), 0, 'latin1');
    const paddedLength = Math.max(16, (plainLength + 15) & ~15);
    this.padded.fill(0, plainLength, paddedLength);
    out[o] = USER_PASSWORD;
    out[o + 1] = 2 + paddedLength;
    const v = o + 2;
    for (let i = 0; i < paddedLength; i += 16) {
      this.md5.reset().update(this.secret);
      if (i === 0) this.md5.update(out, 4, 20);
      else this.md5.update(out, v + i - 16, v + i);
      this.md5.digestInto(out, v + i);
      for (let j = 0; j < 16; j++) out[v + i + j] = out[v + i + j]! ^ this.padded[i + j]!;
    }
    return v + paddedLength;
  }

  /**
   * Proves the fast path against `encodeRequest` for a few users (first, second, `lastUser`, a
   * large index) with random authenticators. Throws when any byte differs.
   */
  selfCheck(lastUser: number): void {
    const out = Buffer.alloc(4096);
    for (const user of [this.scheme.first, this.scheme.first + 1, lastUser, 123456789]) {
      const auth = Buffer.alloc(16);
      randomFillSync(auth);
      const id = user & 0xff;
      const n = this.build(out, user, id, auth);
      const want = this.encodeWithCodec(user, auth, id);
      if (!out.subarray(0, n).equals(want)) {
        throw new Error(`bench request builder disagrees with encodeRequest for user ${user}:\n` +
          `fast  ${out.subarray(0, n).toString('hex')}\ncodec ${want.toString('hex')}`);
      }
    }
  }
}
