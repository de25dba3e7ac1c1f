import type { Client } from './clients.js';

const keys = new WeakMap<Client, string>();

/**
 * Per-client `require_message_authenticator` with FreeRADIUS 3.2.5+ semantics: `yes` drops
 * Access-Requests without Message-Authenticator, `no` accepts them, `auto` is decided by the
 * first verified Access-Request of a single-host client (MA present -> yes, absent -> no).
 * Network clients (not /32 or /128) never switch, so `auto` stays permissive for them. What was
 * learnt lives for the process (it survives reloads while the client's address, secret and
 * policy stay the same) and is lost on restart, as in FreeRADIUS.
 */
export class MessageAuthenticatorPolicy {
  private readonly learnt = new Map<string, boolean>();

  /**
   * Called when this process decides an `auto` client (key, MA required). With worker
   * processes the primary relays the first decision to every worker (see workers.ts).
   */
  onLearnt: ((key: string, required: boolean) => void) | undefined;

  /** Takes a decision made elsewhere (another worker); it replaces a local one. */
  adopt(key: string, required: boolean): void {
    this.learnt.set(key, required);
  }

  private static key(c: Client): string {
    // asked on every request from an `auto` host client: built once per client (clients are
    // immutable; a reload builds new ones)
    let key = keys.get(c);
    if (key === undefined) {
      key = `${c.name}|${c.cidr}|${c.requireMessageAuthenticator}|${c.secret.toString('hex')}`;
      keys.set(c, key);
    }
    return key;
  }

  /** Whether an Access-Request from this client must carry Message-Authenticator right now. */
  required(client: Client): boolean {
    if (client.requireMessageAuthenticator === 'yes') return true;
    if (client.requireMessageAuthenticator === 'no' || !client.isHost) return false;
    return this.learnt.get(MessageAuthenticatorPolicy.key(client)) ?? false;
  }

  /**
   * Records a verified Access-Request. Returns what was learnt ('yes' / 'no') the first time an
   * `auto` host client is decided, undefined otherwise. A packet with EAP-Message leaves it open.
   */
  learn(client: Client, hadMessageAuthenticator: boolean, hasEapMessage: boolean): 'yes' | 'no' | undefined {
    if (client.requireMessageAuthenticator !== 'auto' || !client.isHost) return undefined;
    const key = MessageAuthenticatorPolicy.key(client);
    if (this.learnt.has(key)) return undefined;
    if (hadMessageAuthenticator && hasEapMessage) return undefined;
    this.learnt.set(key, hadMessageAuthenticator);
    this.onLearnt?.(key, hadMessageAuthenticator);
    return hadMessageAuthenticator ? 'yes' : 'no';
  }
}
