import type { Client } from './clients.js';

/**
 * Per-client `require_message_authenticator`: `yes` drops Access-Requests without
 * Message-Authenticator, `no` accepts them, `auto` learns only upwards: permissive until the
 * client's first Access-Request with a VALID Message-Authenticator (the caller verified it
 * against the secret), required from then on. Only single-host clients (/32, /128) learn;
 * networks stay permissive. A request with EAP-Message proves nothing (EAP always signs).
 *
 * FreeRADIUS 3.2.5+ decides `auto` from the first packet either way, so one unsigned packet
 * spoofed from the NAS's address (no secret needed) would switch the protection off for good;
 * here an unsigned packet never decides anything. What was learnt is kept by client address
 * (CIDR) in a state file (see state-files.ts), so it survives restarts and is shared by worker
 * processes through the primary.
 */
export class MessageAuthenticatorPolicy {
  private readonly learnt = new Set<string>();
  private readonly toldUnsigned = new Set<string>();

  /**
   * Called when this process learns that a client must sign (its address). In a worker it tells
   * the primary; in a single process it saves the state file.
   */
  onLearnt: ((client: string) => void) | undefined;

  /** Takes what was learnt elsewhere (the state file, another worker). */
  adopt(client: string): void {
    this.learnt.add(client);
  }

  /** Every client address learnt so far (for the state file). */
  requiredClients(): string[] {
    return [...this.learnt];
  }

  /** Whether an Access-Request from this client must carry Message-Authenticator right now. */
  required(client: Client): boolean {
    if (client.requireMessageAuthenticator === 'yes') return true;
    if (client.requireMessageAuthenticator === 'no' || !client.isHost) return false;
    return this.learnt.has(client.cidr);
  }

  /**
   * Records a verified Access-Request of a client for which {@link required} was false.
   * Returns 'yes' when an `auto` host client is learnt (it signed), 'unsigned' the first time
   * (per process) such a client sends an unsigned request, undefined otherwise.
   */
  learn(client: Client, hadMessageAuthenticator: boolean, hasEapMessage: boolean): 'yes' | 'unsigned' | undefined {
    if (client.requireMessageAuthenticator !== 'auto' || !client.isHost) return undefined;
    const key = client.cidr;
    if (this.learnt.has(key)) return undefined;
    if (!hadMessageAuthenticator) {
      if (this.toldUnsigned.has(key)) return undefined;
      this.toldUnsigned.add(key);
      return 'unsigned';
    }
    if (hasEapMessage) return undefined;
    this.learnt.add(key);
    this.onLearnt?.(key);
    return 'yes';
  }
}
