import { X509Certificate } from 'node:crypto';
import { createServer as createTcpServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket, type SecureContextOptions } from 'node:tls';
import type pino from 'pino';
import { ALPN_RADIUS_10, ALPN_RADIUS_11 } from '../protocol/radius11.js';
import type { Client } from '../server/clients.js';
import type { ListenConfig, ListenerType, StreamListenConfig } from '../server/config.js';
import type { ServerState } from '../server/pipeline.js';
import type { ReplyChannel } from '../server/transport.js';
import type { RadsecClient } from '../server/radsec-clients.js';
import type { RateLimitedLogger } from '../server/rate-limited-logger.js';
import { STREAM_REFUSALS, streamClose, type StreamCloseReason, type StreamRefusal } from '../server/reasons.js';
import type { TlsMaterial } from '../server/tls-material.js';
import { StreamConnection } from './stream-connection.js';
import type { StreamStats } from './stream-stats.js';

/** Process-wide collaborators of the stream listeners. */
export interface StreamListenerEnv {
  state(): ServerState;
  /** The request pipeline's entry point. */
  handle(packet: Buffer, address: string, port: number, channel: ReplyChannel): void;
  log: pino.Logger;
  /** Rate-limited log of refused and failed connections (one line per reason per second). */
  connectionLog: RateLimitedLogger;
  /** Rate-limited auth-fail records (see server.ts). */
  auditLog: RateLimitedLogger;
  stats: StreamStats;
}

/** TLS 1.2 suites: forward-secret AEAD ones, and the PSK ones RFC 6614bis requires of servers. */
const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-PSK-CHACHA20-POLY1305', 'DHE-PSK-AES128-GCM-SHA256', 'DHE-PSK-AES256-GCM-SHA384', 'PSK-AES128-GCM-SHA256', 'PSK-AES256-GCM-SHA384',
];
const TLS13_CIPHERS = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];
const CIPHERS = [...TLS13_CIPHERS, ...TLS12_CIPHERS].join(':');
/** A handshake must finish within this (slowloris protection). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Per-connection duplicate cache sizes: all Identifiers; a window of Tokens. */
const DUPLICATES_RADIUS10 = 256;
const DUPLICATES_RADIUS11 = 4096;

/**
 * A RADIUS/TLS (RFC 6614, radext RADIUS/(D)TLS bis, RFC 9765) or RADIUS/TCP (RFC 6613) listener.
 *
 * Connection lifecycle, RadSec:
 *   1. TCP accept     total limit; the source address must be inside some radsec client's range
 *   2. TLS handshake  TLS 1.2+; mutual: a client certificate from the application CA list (or a
 *                     pinned fingerprint) or a PSK identity; ALPN radius/1.0 or radius/1.1
 *   3. identify       certificate SAN / fingerprint or PSK identity + source address -> client;
 *                     the client's RADIUS/1.1 policy; per-client connection limit
 *   4. serve          packets framed by Length go through the request pipeline; replies return
 *                     on the connection; idle timeout; closed when the certificate expires
 * Every refusal and failure is counted, logged (rate-limited) and written to the auth-fail log.
 * A reload swaps the certificates (new connections only) and re-checks open connections against
 * the new client list; connections whose client is still allowed are kept.
 */
export class StreamListener {
  readonly type: ListenerType;
  readonly local: { address: string; port: number };
  private readonly connections = new Set<StreamConnection>();
  /** Every accepted TCP socket until it closes, handshakes in progress included (max_connections). */
  private readonly sockets = new Set<Socket>();
  private readonly perClient = new Map<string, number>();
  /** PSK identity of each TLS socket that used one (set in the PSK callback). */
  private readonly pskIdentity = new WeakMap<object, string>();
  /** Sockets refused before their handshake (their TLS error is not a handshake failure). */
  private readonly refused = new WeakSet<object>();
  private receiving = true;
  private settings: StreamListenConfig;
  private materialDigest: string | undefined;
  /** Peer certificate chain of each certificate-authenticated connection (re-checked at reload). */
  private readonly chains = new WeakMap<StreamConnection, X509Certificate[]>();

  private constructor(
    readonly index: number,
    public config: ListenConfig,
    private readonly server: NetServer | TlsServer,
    private readonly env: StreamListenerEnv,
    material: TlsMaterial | undefined,
  ) {
    this.type = config.type;
    this.settings = config.stream!;
    this.materialDigest = material?.digest;
    const a = server.address();
    this.local = typeof a === 'object' && a ? { address: a.address, port: a.port } : { address: config.address, port: config.port };
  }

  /** Binds the listener; rejects with a message naming the address when that fails. */
  static async open(index: number, config: ListenConfig, material: TlsMaterial | undefined, env: StreamListenerEnv): Promise<StreamListener> {
    let listener: StreamListener | undefined;
    const server = config.type === 'radsec'
      ? createTlsServer(tlsOptions(material!, env.state().snapshot.radsecClients.hasPinnedCertificates, {
        psk: (socket, identity) => listener!.pskKey(socket, identity),
        alpn: (socket, protocols) => listener!.selectAlpn(socket, protocols),
      }))
      : createTcpServer();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`cannot listen on ${config.address} port ${config.port} (${config.type}): ${err.message}`));
      server.once('error', onError);
      server.listen({ host: config.address, port: config.port, exclusive: false }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    listener = new StreamListener(index, config, server, env, material);
    listener.wire();
    return listener;
  }

  /** Open connections. */
  get size(): number {
    return this.connections.size;
  }

  /**
   * After a reload that keeps this listener: new limits and certificates (for new handshakes),
   * and every open connection checked against the new clients; those no longer allowed close.
   */
  update(config: ListenConfig, material: TlsMaterial | undefined): void {
    this.config = config;
    this.settings = config.stream!;
    if (this.type === 'radsec' && material && material.digest !== this.materialDigest) {
      const snapshot = this.env.state().snapshot;
      (this.server as TlsServer).setSecureContext(tlsOptions(material, snapshot.radsecClients.hasPinnedCertificates));
      this.materialDigest = material.digest;
      this.env.log.info({ listen: `${this.local.address}:${this.local.port}`, cert_not_after: material.notAfter }, 'radsec: new certificates in use for new connections; open connections kept');
    }
    if (this.type === 'radsec') {
      // a reload may add the first (or drop the last) pinned client: tls.Server hands this to each new socket
      (this.server as TlsServer & { rejectUnauthorized: boolean }).rejectUnauthorized = !this.env.state().snapshot.radsecClients.hasPinnedCertificates;
    }
    for (const conn of [...this.connections]) {
      const next = this.recheck(conn, material);
      if (!next) conn.close('client_removed', 'after a reload no client allows this connection any more');
      else conn.client = next;
    }
  }

  /** Stops accepting connections and reading packets (replies can still be sent). */
  stopReceiving(): void {
    this.receiving = false;
    this.server.close();
  }

  /** Closes every connection (flushing replies, at most 2 s) and the listening socket. */
  async close(): Promise<void> {
    this.stopReceiving();
    const gone = [...this.connections].map((c) => new Promise<void>((resolve) => {
      c.onGone = resolve;
      c.close('server_shutdown');
    }));
    await Promise.race([Promise.all(gone), new Promise((r) => setTimeout(r, 2500).unref())]);
    for (const c of this.connections) c.destroy('server_shutdown');
  }

  private wire(): void {
    const server = this.server;
    // raw TCP accept, before any TLS: limits and the source address
    server.on('connection', (socket: Socket) => this.accept(socket));
    if (this.type === 'radsec') {
      const tlsServer = server as TlsServer;
      tlsServer.on('secureConnection', (socket: TLSSocket) => this.secured(socket));
      tlsServer.on('tlsClientError', (err: Error, socket: TLSSocket) => this.handshakeFailed(err, socket));
    }
    server.on('error', (err) => this.env.log.error({ err: err.message, listen: `${this.local.address}:${this.local.port}` }, `${this.type} listener error`));
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const port = socket.remotePort ?? 0;
    const refuse = (reason: StreamRefusal, message: string) => {
      this.refused.add(socket);
      this.refuse(address, port, reason, message, null);
      socket.destroy();
    };
    if (!this.receiving) return refuse('listener_closed', 'the listener is closing');
    if (this.sockets.size >= this.settings.maxConnections) {
      return refuse('connection_limit', `max_connections (${this.settings.maxConnections}) reached on ${this.type} ${this.local.address}:${this.local.port}`);
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const snapshot = this.env.state().snapshot;
    if (this.type === 'radsec') {
      if (!snapshot.radsecClients.mayConnect(address)) {
        return refuse('unknown_client', `Refusing TLS connection from ${address} port ${port}: no radsec client allows this address`);
      }
      return; // the TLS server goes on with the handshake
    }
    const client = snapshot.clients.lookup(address);
    if (!client) return refuse('unknown_client', `Refusing TCP connection from unknown client ${address} port ${port}`);
    if (!this.admitClient(client, address, port, null)) {
      socket.destroy();
      return;
    }
    this.start(socket, client, false, undefined);
  }

  /** PSK callback: the key of the client with this identity at this address, or null (handshake fails). */
  private pskKey(socket: TLSSocket, identity: string): Buffer | null {
    const c = this.env.state().snapshot.radsecClients.byPskIdentity(identity, socket.remoteAddress ?? '');
    if (!c?.identity.psk) return null;
    this.pskIdentity.set(socket, identity);
    return c.identity.psk.key;
  }

  /** ALPN callback (RFC 9765 section 3.1): radius/1.1 when offered and not forbidden; else radius/1.0. */
  private selectAlpn(socket: TLSSocket, protocols: string[]): string | undefined {
    const policy = this.env.state().snapshot.radsecClients.radius11PolicyFor(socket.remoteAddress ?? '');
    if (policy !== 'forbid' && protocols.includes(ALPN_RADIUS_11)) return ALPN_RADIUS_11;
    if (policy !== 'require' && protocols.includes(ALPN_RADIUS_10)) return ALPN_RADIUS_10;
    // no common protocol: Node answers with the no_application_protocol alert (120)
    this.refused.add(socket);
    this.refuse(socket.remoteAddress ?? '', socket.remotePort ?? 0, 'alpn_mismatch',
      `TLS connection from ${socket.remoteAddress} offers ALPN ${protocols.join(', ')}, but radius11 is "${policy}" for it: no_application_protocol`, null);
    return undefined;
  }

  private handshakeFailed(err: Error, socket: TLSSocket): void {
    const tcp = tcpSocketOf(socket);
    if (this.refused.has(socket) || (tcp && this.refused.has(tcp))) return;
    const address = socket.remoteAddress ?? tcp?.remoteAddress ?? '';
    const port = socket.remotePort ?? 0;
    const detail = tlsErrorText(err);
    this.refuse(address, port, 'tls_handshake_failed', `TLS handshake with ${address} port ${port} failed: ${detail}`, null, detail);
  }

  private secured(socket: TLSSocket): void {
    const address = socket.remoteAddress ?? '';
    const port = socket.remotePort ?? 0;
    const snapshot = this.env.state().snapshot;
    const deny = (reason: StreamRefusal, message: string, client: string | null, detail?: string) => {
      this.refuse(address, port, reason, message, client, detail);
      socket.destroy();
    };
    // no renegotiation: all authentication happens in the first handshake
    socket.disableRenegotiation();
    let found: RadsecClient | undefined;
    let chain: X509Certificate[] | undefined;
    let notAfterMs: number | undefined;
    const identity = this.pskIdentity.get(socket);
    if (identity !== undefined) {
      found = snapshot.radsecClients.byPskIdentity(identity, address);
    } else {
      const cert = socket.getPeerX509Certificate();
      if (!cert) return deny('unknown_client', `TLS connection from ${address} port ${port} without a client certificate or PSK`, null, 'no client certificate');
      chain = peerChain(socket);
      found = snapshot.radsecClients.byCertificate(cert, socket.authorized, address);
      if (!found) {
        const why = socket.authorized ? 'no radsec client names its subjectAltName' : `it does not chain to the CA list (${socket.authorizationError ?? 'unverified'}) and its fingerprint is not pinned`;
        return deny('unknown_certificate',
          `Refusing TLS connection from ${address} port ${port}: certificate (SAN ${cert.subjectAltName ?? 'none'}, sha256 ${cert.fingerprint256}) is not a known client: ${why}`,
          null, `unknown certificate sha256 ${cert.fingerprint256}`);
      }
      notAfterMs = Date.parse(cert.validTo);
    }
    if (!found) return deny('unknown_client', `TLS connection from ${address} port ${port}: PSK identity is not a client at this address`, null);
    const client = found.client;
    const alpn = socket.alpnProtocol;
    const radius11 = alpn === ALPN_RADIUS_11;
    const policy = found.identity.radius11;
    if (policy === 'require' && !radius11) {
      return deny('alpn_mismatch', `client ${client.name} requires RADIUS/1.1 (radius11: require) but the connection from ${address} negotiated ${alpn || 'no ALPN'}`, client.name);
    }
    if (policy === 'forbid' && radius11) {
      return deny('alpn_mismatch', `client ${client.name} has radius11: forbid but the connection from ${address} negotiated radius/1.1`, client.name);
    }
    if (radius11 && socket.getProtocol() !== 'TLSv1.3') {
      return deny('alpn_mismatch', `RADIUS/1.1 needs TLS 1.3; client ${client.name} at ${address} negotiated ${socket.getProtocol()}`, client.name);
    }
    if (!this.admitClient(client, address, port, client.name)) {
      socket.destroy();
      return;
    }
    const conn = this.start(socket, client, radius11, notAfterMs);
    if (chain) this.chains.set(conn, chain);
    if (identity !== undefined) conn.pskIdentity = identity;
    this.env.log.debug({ client: client.name, src: address, port, tls: socket.getProtocol(), alpn: alpn || null, psk: identity !== undefined }, `radsec connection from client ${client.name}`);
  }

  /** Per-client connection limit; counts the connection when admitted. */
  private admitClient(client: Client, address: string, port: number, name: string | null): boolean {
    const n = this.perClient.get(client.name) ?? 0;
    if (n >= this.settings.maxConnectionsPerClient) {
      this.refuse(address, port, 'client_connection_limit',
        `client ${client.name} already has ${n} connections (max_connections_per_client ${this.settings.maxConnectionsPerClient}): refusing one from ${address} port ${port}`, name);
      return false;
    }
    return true;
  }

  private start(socket: Socket, client: Client, radius11: boolean, notAfterMs: number | undefined): StreamConnection {
    const security = this.env.state().snapshot.config.security;
    this.perClient.set(client.name, (this.perClient.get(client.name) ?? 0) + 1);
    const conn = new StreamConnection(socket, {
      index: this.index,
      type: this.type,
      local: this.local,
      client,
      radius11,
      duplicateTtlMs: security.duplicateCacheSeconds * 1000,
      duplicateEntries: Math.min(security.duplicateCacheEntries, radius11 ? DUPLICATES_RADIUS11 : DUPLICATES_RADIUS10),
      idleTimeoutMs: this.settings.idleTimeout * 1000,
      ...(notAfterMs !== undefined ? { notAfterMs } : {}),
      onPacket: (packet, c) => {
        if (this.receiving) this.env.handle(packet, c.remote.address, c.remote.port, c);
      },
      onClose: (c, reason, message) => this.closed(c, reason, message),
    });
    this.connections.add(conn);
    this.env.stats.accept(this.type);
    return conn;
  }

  private closed(conn: StreamConnection, reason: StreamCloseReason, message: string | undefined): void {
    this.connections.delete(conn);
    const name = conn.client.name;
    const n = (this.perClient.get(name) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(name);
    else this.perClient.set(name, n);
    this.env.stats.close(this.type, reason);
    const fields = { reason, client: name, src: conn.remote.address, src_port: conn.remote.port, listen: `${this.type} ${this.local.address}:${this.local.port}` };
    const text = `${this.type} connection from client ${name} (${conn.remote.address} port ${conn.remote.port}) closed: ${reason}${message ? ` (${message})` : ''}`;
    const info = streamClose(reason);
    if (info.level === 'info') this.env.connectionLog.log(`close:${reason}`, { ...fields, level: 'info' }, text);
    else this.env.connectionLog.log(`close:${reason}`, fields, text);
    if (info.audit !== null) this.audit(conn.remote.address, conn.remote.port, info.audit, name, reason);
    conn.onGone?.();
  }

  /** Counts, logs (rate-limited) and audits a refused connection, as the catalogue says (reasons.ts). */
  private refuse(address: string, port: number, reason: StreamRefusal, message: string, client: string | null, detail?: string): void {
    const auditReason = STREAM_REFUSALS[reason].audit;
    this.env.stats.refuse(this.type, reason);
    this.env.connectionLog.log(`refuse:${reason}`, { reason, client, src: address, src_port: port, listen: `${this.type} ${this.local.address}:${this.local.port}` }, message);
    this.audit(address, port, auditReason, client, detail ?? (reason !== auditReason ? reason : undefined));
  }

  private audit(address: string, port: number, reason: string, client: string | null, detail: string | undefined): void {
    if (!this.env.state().authFail.enabled) return;
    this.env.auditLog.log(reason, {
      src: address, src_port: port, client, nas_ip: null, nas_id: null, user: null, reason,
      ...(detail ? { detail } : {}), action: 'close',
    }, '');
  }

  /** The client an open connection belongs to under the current configuration, or undefined. */
  private recheck(conn: StreamConnection, material: TlsMaterial | undefined): Client | undefined {
    const snapshot = this.env.state().snapshot;
    if (this.type === 'tcp') {
      const c = snapshot.clients.lookup(conn.remote.address);
      return c && c.name === conn.client.name ? c : undefined;
    }
    const chain = this.chains.get(conn);
    let found: RadsecClient | undefined;
    if (chain) {
      const chained = material ? chainsTo(chain, material.ca) : false;
      found = snapshot.radsecClients.byCertificate(chain[0]!, chained, conn.remote.address);
    } else if (conn.pskIdentity !== undefined) {
      found = snapshot.radsecClients.byPskIdentity(conn.pskIdentity, conn.remote.address);
    }
    if (!found || found.client.name !== conn.client.name) return undefined;
    const p = found.identity.radius11;
    if ((p === 'require' && !conn.radius11) || (p === 'forbid' && conn.radius11)) return undefined;
    return found.client;
  }
}

function tlsOptions(material: TlsMaterial, pinned: boolean, callbacks?: {
  psk: (socket: TLSSocket, identity: string) => Buffer | null;
  alpn: (socket: TLSSocket, protocols: string[]) => string | undefined;
}): SecureContextOptions & Record<string, unknown> {
  return {
    cert: material.cert,
    key: material.key,
    // the application CA list only: an empty list trusts no CA (Node's bundled roots are never used)
    ca: material.ca,
    minVersion: material.minVersion,
    ciphers: CIPHERS,
    requestCert: true,
    // pinned fingerprints need certificates that do not chain to the CA list; they are checked after the handshake
    rejectUnauthorized: !pinned,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    ...(callbacks ? {
      pskCallback: callbacks.psk,
      // called with the TLS socket as `this` (Node passes only the offered names)
      ALPNCallback(this: TLSSocket, info: { protocols: string[] }) {
        return callbacks.alpn(this, info.protocols);
      },
    } : {}),
  };
}

/** The peer's certificate chain as sent (leaf first). */
function peerChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  let c = socket.getPeerCertificate(true) as { raw?: Buffer; issuerCertificate?: unknown } | undefined;
  const seen = new Set<unknown>();
  while (c && c.raw && !seen.has(c) && out.length < 10) {
    seen.add(c);
    out.push(new X509Certificate(c.raw));
    c = c.issuerCertificate as typeof c;
  }
  return out;
}

/** Whether some certificate of the chain was issued and signed by one of the CA certificates. */
function chainsTo(chain: readonly X509Certificate[], caPems: readonly string[]): boolean {
  const cas = caPems.map((p) => new X509Certificate(p));
  return chain.some((c) => cas.some((ca) => c.checkIssued(ca) && c.verify(ca.publicKey)) || cas.some((ca) => ca.fingerprint256 === c.fingerprint256));
}

/**
 * The TCP socket under a server-side TLS socket. Node keeps it as `_parent` and offers no public
 * accessor; once that socket is destroyed (a connection refused before its handshake) the TLS
 * socket no longer knows its peer, so a handshake error finds the refused socket, and the peer's
 * address, through this.
 */
function tcpSocketOf(socket: TLSSocket): Socket | undefined {
  return (socket as TLSSocket & { _parent?: Socket })._parent;
}

function tlsErrorText(err: Error): string {
  const e = err as Error & { code?: string; reason?: string };
  return e.reason ?? e.code ?? err.message.split('\n')[0]!.slice(0, 200);
}
