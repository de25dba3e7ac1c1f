import type { ClientConfig, MessageAuthenticatorPolicy } from './config.js';
import type { ConfigProblem } from './config-error.js';
import { formatPrefix, maskBytes, parseIp, parsePrefix, type IpPrefix } from './ip-prefix.js';

/** A RADIUS client (NAS) ready for the request path. */
export interface Client {
  name: string;
  /** Canonical `ip/bits`. */
  cidr: string;
  prefix: IpPrefix;
  secret: Buffer;
  requireMessageAuthenticator: MessageAuthenticatorPolicy;
  /** A single host (/32 or /128): only such clients learn the `auto` policy (FreeRADIUS 3.2.6+). */
  isHost: boolean;
  origin: { file: string; line: number };
}

/** Secrets shorter than this get a warning (FreeRADIUS 3.2.6+ does the same). */
/** The client a configuration entry describes, for the address prefix already parsed from it. */
export function clientFromConfig(def: ClientConfig, prefix: IpPrefix): Client {
  return {
    name: def.name,
    cidr: formatPrefix(prefix),
    prefix,
    secret: Buffer.from(def.secret, 'utf8'),
    requireMessageAuthenticator: def.requireMessageAuthenticator,
    isHost: prefix.bits === (prefix.family === 4 ? 32 : 128),
    origin: def.origin,
  };
}

export const SHORT_SECRET_LENGTH = 12;

const LOOKUP_CACHE_LIMIT = 4096;

/**
 * The client allowlist: source IP -> client by longest-prefix match, IPv4 and IPv6 (IPv4-mapped
 * IPv6 sources match IPv4 clients). Only the source IP counts, never the port (FreeRADIUS
 * `client_find`). Immutable once built; a reload builds a new table.
 */
export class ClientTable {
  /** Per family: prefix lengths present, longest first, each with masked-address -> client. */
  private readonly v4 = new Map<number, Map<string, Client>>();
  private readonly v6 = new Map<number, Map<string, Client>>();
  private v4Lengths: number[] = [];
  private v6Lengths: number[] = [];
  private readonly cache = new Map<string, Client | null>();
  private readonly list: Client[] = [];

  /**
   * Builds a table. Problems (bad address, duplicate with different settings) are errors in
   * FreeRADIUS wording; exact duplicates and short secrets are warnings.
   */
  static build(defs: readonly ClientConfig[]): { table: ClientTable; errors: ConfigProblem[]; warnings: ConfigProblem[] } {
    const table = new ClientTable();
    const errors: ConfigProblem[] = [];
    const warnings: ConfigProblem[] = [];
    for (const def of defs) {
      const where = { file: def.origin.file, line: def.origin.line };
      let prefix: IpPrefix;
      try {
        prefix = parsePrefix(def.address);
      } catch (err) {
        errors.push({ ...where, message: `client ${def.name}: Failed parsing configuration item "ipaddr" - ${(err as Error).message}` });
        continue;
      }
      if (def.secret.length === 0) {
        errors.push({ ...where, message: `client ${def.name}: secret must be at least 1 character long` });
        continue;
      }
      const client = clientFromConfig(def, prefix);
      const existing = table.exact(prefix);
      if (existing) {
        if (existing.secret.equals(client.secret) && existing.requireMessageAuthenticator === client.requireMessageAuthenticator) {
          warnings.push({ ...where, message: `Ignoring duplicate client ${def.name} (${client.cidr} is already client ${existing.name})` });
        } else {
          errors.push({
            ...where,
            message: `Failed to add duplicate client ${def.name}: ${client.cidr} is already client ${existing.name} (${existing.origin.file}:${existing.origin.line}) with other settings`,
          });
        }
        continue;
      }
      if (def.secret.length < SHORT_SECRET_LENGTH) {
        warnings.push({
          ...where,
          message: `Shared secret for client ${def.name} is short, and likely can be broken by an attacker. Use at least ${SHORT_SECRET_LENGTH} random characters`,
        });
      }
      table.add(client);
    }
    return { table, errors, warnings };
  }

  /** Number of clients. */
  get size(): number {
    return this.list.length;
  }

  /** All clients in definition order. */
  clients(): readonly Client[] {
    return this.list;
  }

  /** The client for a source address (any textual form, incl. `::ffff:a.b.c.d`), or undefined. */
  lookup(address: string): Client | undefined {
    const cached = this.cache.get(address);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.find(address);
    if (this.cache.size >= LOOKUP_CACHE_LIMIT) this.cache.clear();
    this.cache.set(address, found ?? null);
    return found;
  }

  private find(address: string): Client | undefined {
    const ip = parseIp(address);
    if (!ip) return undefined;
    const [byLength, lengths] = ip.family === 4 ? [this.v4, this.v4Lengths] : [this.v6, this.v6Lengths];
    for (const bits of lengths) {
      const hit = byLength.get(bits)!.get(maskBytes(ip.bytes, bits).toString('hex'));
      if (hit) return hit;
    }
    return undefined;
  }

  private exact(prefix: IpPrefix): Client | undefined {
    const byLength = prefix.family === 4 ? this.v4 : this.v6;
    return byLength.get(prefix.bits)?.get(prefix.bytes.toString('hex'));
  }

  private add(client: Client): void {
    const { prefix } = client;
    const byLength = prefix.family === 4 ? this.v4 : this.v6;
    let m = byLength.get(prefix.bits);
    if (!m) {
      m = new Map();
      byLength.set(prefix.bits, m);
      const lengths = [...byLength.keys()].sort((a, b) => b - a);
      if (prefix.family === 4) this.v4Lengths = lengths;
      else this.v6Lengths = lengths;
    }
    m.set(prefix.bytes.toString('hex'), client);
    this.list.push(client);
  }
}
