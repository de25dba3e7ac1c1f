import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { TlsFilesConfig } from './config.js';
import type { ConfigProblem } from './config-error.js';

/** The PEM texts of a radsec listener, checked to be usable. */
export interface TlsMaterial {
  cert: string;
  key: string;
  /** One PEM text per CA certificate (the application CA list; may be empty). */
  ca: string[];
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Digest of all of the above: tells a reload whether the certificates changed. */
  digest: string;
  /** When the server certificate expires (for the log). */
  notAfter: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads and checks the certificate, its key and the CA files of a radsec listener: each parses,
 * the key belongs to the certificate, every CA file holds at least one certificate. Problems
 * name the file and say how to fix it; the key's contents never appear in a message.
 */
export function loadTlsMaterial(cfg: TlsFilesConfig, readText: (path: string) => string): { material?: TlsMaterial; problems: ConfigProblem[]; warnings: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const read = (path: string, what: string): string | undefined => {
    try {
      return readText(path);
    } catch (err) {
      problems.push({ file: path, line: 0, message: `cannot read the ${what}: ${(err as Error).message}` });
      return undefined;
    }
  };
  const certText = read(cfg.cert, 'TLS certificate (tls.cert)');
  const keyText = read(cfg.key, 'TLS private key (tls.key)');
  let cert: X509Certificate | undefined;
  if (certText !== undefined) {
    try {
      cert = new X509Certificate(certText);
      const now = Date.now();
      if (Date.parse(cert.validTo) < now) warnings.push({ file: cfg.cert, line: 0, message: `the server certificate expired on ${cert.validTo}: clients will refuse it` });
      else if (Date.parse(cert.validFrom) > now) warnings.push({ file: cfg.cert, line: 0, message: `the server certificate is not valid before ${cert.validFrom}` });
    } catch (err) {
      problems.push({ file: cfg.cert, line: 0, message: `not a PEM certificate (${(err as Error).message}); expected -----BEGIN CERTIFICATE-----` });
    }
  }
  if (keyText !== undefined) {
    try {
      const key = createPrivateKey(keyText);
      if (cert && !cert.checkPrivateKey(key)) {
        problems.push({ file: cfg.key, line: 0, message: `this key does not belong to the certificate ${cfg.cert}` });
      }
    } catch {
      problems.push({ file: cfg.key, line: 0, message: 'not a usable PEM private key (an unencrypted PKCS#8, PKCS#1 or SEC1 key is expected)' });
    }
  }
  const ca: string[] = [];
  for (const path of cfg.ca) {
    const text = read(path, 'CA file (tls.ca)');
    if (text === undefined) continue;
    const blocks = text.match(PEM_CERT) ?? [];
    if (blocks.length === 0) problems.push({ file: path, line: 0, message: 'no PEM certificate in this CA file' });
    for (const b of blocks) {
      try {
        new X509Certificate(b);
        ca.push(b);
      } catch (err) {
        problems.push({ file: path, line: 0, message: `a certificate in this CA file does not parse: ${(err as Error).message}` });
      }
    }
  }
  if (problems.length > 0 || certText === undefined || keyText === undefined || !cert) return { problems, warnings };
  const digest = createHash('sha256').update(certText).update('\0').update(keyText).update('\0').update(ca.join('\0')).update(cfg.minVersion).digest('hex');
  return { material: { cert: certText, key: keyText, ca, minVersion: cfg.minVersion, digest, notAfter: cert.validTo }, problems, warnings };
}

/** Warn this long before a server certificate expires. */
const EXPIRY_WARNING_MS = 7 * 24 * 3600_000;

/**
 * What /healthz should say about the certificates of the radsec listeners: an expired server
 * certificate (TLS clients refuse it) or one expiring within 7 days.
 */
export function certificateProblems(listen: readonly { address: string; port: number }[], tls: readonly (TlsMaterial | undefined)[], now = Date.now()): string[] {
  const out: string[] = [];
  tls.forEach((m, i) => {
    if (!m) return;
    const left = Date.parse(m.notAfter) - now;
    const where = `radsec listener ${listen[i]?.address}:${listen[i]?.port}`;
    if (left <= 0) out.push(`${where}: the server certificate expired on ${m.notAfter}; TLS clients refuse it: replace tls.cert and tls.key, then reload`);
    else if (left < EXPIRY_WARNING_MS) out.push(`${where}: the server certificate expires on ${m.notAfter} (in ${Math.ceil(left / 86_400_000)} days): replace tls.cert and tls.key, then reload`);
  });
  return out;
}
