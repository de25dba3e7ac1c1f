/**
 * Test PKI made with `openssl` at test time (no private key is committed): a CA, a server
 * certificate for 127.0.0.1 / localhost, client certificates with chosen SANs, and a second,
 * unrelated CA with a client certificate of its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Client "site1" (SAN DNS:site1.example.net) from the CA. */
  clientCert: string;
  clientKey: string;
  /** A client with SAN DNS:site1.example.net from another CA. */
  otherCa: string;
  otherCert: string;
  otherKey: string;
  /** A client from the CA whose SAN names nobody configured (CN = site1.example.net). */
  cnOnlyCert: string;
  cnOnlyKey: string;
  /** SHA-256 fingerprint (openssl form, AB:CD:..) of a cert file. */
  fingerprint(certPath: string): string;
  /** Makes another client certificate from the CA. */
  issue(name: string, san: string, opts?: { days?: number; cn?: string }): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function newKey(dir: string, name: string): string {
  const key = join(dir, `${name}.key`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], dir);
  return key;
}

function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const key = newKey(dir, name);
  const cert = join(dir, `${name}.pem`);
  openssl(['req', '-x509', '-new', '-key', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { cert, key };
}

function signed(dir: string, ca: { cert: string; key: string }, name: string, san: string | undefined, opts: { days?: number; cn?: string; server?: boolean } = {}): { cert: string; key: string } {
  const key = newKey(dir, name);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  openssl(['req', '-new', '-key', key, '-out', csr, '-subj', `/CN=${opts.cn ?? name}`], dir);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${san ? `subjectAltName=${san}\n` : ''}extendedKeyUsage=${opts.server ? 'serverAuth' : 'clientAuth'}\n`);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', String(opts.days ?? 2), '-extfile', ext], dir);
  return { cert, key };
}

/** Creates the PKI in a fresh temporary directory (about 0.2 s). */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'vr-pki-'));
  const ca = selfSigned(dir, 'ca');
  const server = signed(dir, ca, 'server', 'DNS:localhost,IP:127.0.0.1,IP:::1', { server: true });
  const client = signed(dir, ca, 'site1', 'DNS:site1.example.net');
  const other = selfSigned(dir, 'otherca');
  const otherClient = signed(dir, other, 'intruder', 'DNS:site1.example.net');
  const cnOnly = signed(dir, ca, 'cnonly', undefined, { cn: 'site1.example.net' });
  return {
    dir,
    ca: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCa: other.cert,
    otherCert: otherClient.cert,
    otherKey: otherClient.key,
    cnOnlyCert: cnOnly.cert,
    cnOnlyKey: cnOnly.key,
    fingerprint: (certPath) => openssl(['x509', '-noout', '-fingerprint', '-sha256', '-in', certPath], dir).trim().split('=')[1]!,
    issue: (name, san, opts) => signed(dir, ca, name, san, opts ?? {}),
  };
}

/** The PEM text of a file. */
export function pem(path: string): string {
  return readFileSync(path, 'utf8');
}
