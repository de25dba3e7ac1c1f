import { isIP } from 'node:net';
import type { X509Certificate } from 'node:crypto';
import { type Client, clientFromConfig } from './clients.js';
import type { ClientConfig, Radius11Policy, RadsecClientConfig } from './config.js';
import type { ConfigProblem } from './config-error.js';
import { parsePrefix, prefixContains } from './ip-prefix.js';

/** A RADIUS/TLS client: the pipeline's client plus how it proves who it is. */
export interface RadsecClient {
  client: Client;
  identity: RadsecClientConfig;
}

/**
 * The RADIUS/TLS clients (config entries with a `radsec:` block), kept apart from the UDP client
 * table so a RadSec client is never accepted over plain UDP. A connection is matched on its
 * source address (inside the entry's range) AND its identity: a certificate SAN (dNSName or
 * iPAddress; the CN is never looked at), the certificate's SHA-256 fingerprint, or a TLS-PSK
 * identity. Many entries may share one address range; the first that matches wins.
 */
export class RadsecClientTable {
  private constructor(private readonly list: readonly RadsecClient[]) {}

  /** Builds the table; bad addresses are problems (`file:line`). */
  static build(defs: readonly ClientConfig[]): { table: RadsecClientTable; errors: ConfigProblem[] } {
    const list: RadsecClient[] = [];
    const errors: ConfigProblem[] = [];
    for (const def of defs) {
      if (!def.radsec) continue;
      let prefix: ReturnType<typeof parsePrefix>;
      try {
        prefix = parsePrefix(def.address);
      } catch (err) {
        errors.push({ ...def.origin, message: `client ${def.name}: address: ${(err as Error).message}` });
        continue;
      }
      for (const san of def.radsec.san) {
        if (isIP(san) === 0 && !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(san)) {
          errors.push({ ...def.origin, message: `client ${def.name}: radsec.san "${san}" is neither a DNS name nor an IP address` });
        }
      }
      list.push({
        client: clientFromConfig(def, prefix),
        identity: def.radsec,
      });
    }
    return { table: new RadsecClientTable(list), errors };
  }

  get size(): number {
    return this.list.length;
  }

  /** True when some client may connect from this address (checked before the handshake). */
  mayConnect(address: string): boolean {
    return this.list.some((c) => prefixContains(c.client.prefix, address));
  }

  /** Whether any client is pinned by fingerprint (such certificates need not chain to the CA list). */
  get hasPinnedCertificates(): boolean {
    return this.list.some((c) => c.identity.fingerprints.length > 0);
  }

  /**
   * The client a certificate identifies from `address`: one whose range holds the address and
   * whose SAN list names a dNSName / iPAddress of the certificate (when the certificate chained
   * to the CA list: `chained`) or whose fingerprint list holds its SHA-256 fingerprint.
   */
  byCertificate(cert: X509Certificate, chained: boolean, address: string): RadsecClient | undefined {
    for (const c of this.list) {
      if (!prefixContains(c.client.prefix, address)) continue;
      if (c.identity.fingerprints.includes(cert.fingerprint256)) return c;
      if (chained && c.identity.san.some((san) => sanMatches(cert, san))) return c;
    }
    return undefined;
  }

  /** The client with this PSK identity allowed from `address`. */
  byPskIdentity(identity: string, address: string): RadsecClient | undefined {
    return this.list.find((c) => c.identity.psk?.identity === identity && prefixContains(c.client.prefix, address));
  }

  /**
   * The RADIUS/1.1 policy to negotiate ALPN with, before the client is known (ALPN is chosen
   * before the client's certificate arrives): `require` or `forbid` when every client allowed
   * from the address says so, `allow` otherwise; the identified client's own policy is checked
   * once the handshake is done.
   */
  radius11PolicyFor(address: string): Radius11Policy {
    const policies = new Set(this.list.filter((c) => prefixContains(c.client.prefix, address)).map((c) => c.identity.radius11));
    if (policies.size === 1) return [...policies][0]!;
    return 'allow';
  }

  /** The entry of the same name after a reload, if it still exists. */
  byName(name: string): RadsecClient | undefined {
    return this.list.find((c) => c.client.name === name);
  }
}

function sanMatches(cert: X509Certificate, san: string): boolean {
  // subject: 'never': the CN is not a fallback for a missing dNSName (RFC 9525 / radext bis)
  if (isIP(san) !== 0) return cert.checkIP(san) !== undefined;
  return cert.checkHost(san, { subject: 'never' }) !== undefined;
}
