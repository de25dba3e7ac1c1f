import { timingSafeEqual } from 'node:crypto';
import { isAuthenticResponse } from '../protocol/encode.js';
import { HmacMd5, Md5 } from '../protocol/md5.js';

const MESSAGE_AUTHENTICATOR = 80;

/** The verdict on one reply. `ok` means authentic; the code is for the caller to judge. */
export type ReplyVerdict = 'ok' | 'bad_length' | 'bad_response_authenticator' | 'bad_message_authenticator' | 'missing_message_authenticator';

/**
 * Verifies replies to our requests: structure (length field within the datagram, attributes
 * tile the packet), the Response Authenticator (RFC 2865 3) and, when present or required,
 * Message-Authenticator (RFC 2869 5.14, computed over the reply with the Request
 * Authenticator in the authenticator field). `mode: 'codec'` checks the Response
 * Authenticator with our codec's `isAuthenticResponse` instead of the fast path (slower; used
 * by tests to prove the fast path agrees).
 */
export class ReplyVerifier {
  private readonly md5 = new Md5();
  private readonly hmac: HmacMd5;
  private readonly digest = Buffer.alloc(16);
  private static readonly ZERO16 = Buffer.alloc(16);

  constructor(
    private readonly secret: Buffer,
    private readonly opts: { requireMessageAuthenticator: boolean; mode?: 'fast' | 'codec' },
  ) {
    this.hmac = new HmacMd5(secret);
  }

  /** Checks `reply` against the authenticator at `req[reqOffset..reqOffset+16)`. */
  verify(reply: Buffer, req: Buffer, reqOffset: number): ReplyVerdict {
    if (reply.length < 20) return 'bad_length';
    const len = (reply[2]! << 8) | reply[3]!;
    if (len < 20 || len > reply.length) return 'bad_length';
    let ma = -1;
    for (let o = 20; o < len;) {
      const alen = reply[o + 1];
      if (alen === undefined || alen < 2 || o + alen > len) return 'bad_length';
      if (reply[o] === MESSAGE_AUTHENTICATOR) {
        if (alen !== 18) return 'bad_message_authenticator';
        ma = o + 2;
      }
      o += alen;
    }
    const reqAuth = req.subarray(reqOffset, reqOffset + 16);
    if (this.opts.mode === 'codec') {
      if (!isAuthenticResponse(reply.subarray(0, len), reqAuth, this.secret)) return 'bad_response_authenticator';
    } else {
      this.md5.reset().update(reply, 0, 4).update(reqAuth).update(reply, 20, len).update(this.secret).digestInto(this.digest);
      if (!timingSafeEqual(this.digest, reply.subarray(4, 20))) return 'bad_response_authenticator';
    }
    if (ma < 0) return this.opts.requireMessageAuthenticator ? 'missing_message_authenticator' : 'ok';
    const m = this.hmac.begin();
    m.update(reply, 0, 4).update(reqAuth).update(reply, 20, ma).update(ReplyVerifier.ZERO16).update(reply, ma + 16, len);
    this.hmac.digestInto(this.digest);
    return timingSafeEqual(this.digest, reply.subarray(ma, ma + 16)) ? 'ok' : 'bad_message_authenticator';
  }
}
