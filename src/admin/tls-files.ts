import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generate } from 'selfsigned';

/**
 * The admin listener's certificate and key: the configured files, or, when both are missing, a
 * self-signed pair made on first start (EC P-256, 2 years, for localhost, 127.0.0.1 and ::1)
 * and written beside the config, the key with mode 0600.
 */
export async function ensureTlsFiles(certPath: string, keyPath: string, host: string): Promise<{ cert: string; key: string; created: boolean }> {
  const haveCert = existsSync(certPath);
  const haveKey = existsSync(keyPath);
  if (haveCert && haveKey) return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), created: false };
  if (haveCert !== haveKey) {
    throw new Error(`admin: ${haveCert ? keyPath : certPath} is missing while ${haveCert ? certPath : keyPath} exists; give both or remove the other to have a new pair made`);
  }
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 2);
  const altNames: Array<{ type: 2; value: string } | { type: 7; ip: string }> = [
    { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' },
  ];
  if (host !== '127.0.0.1' && host !== '::1' && host !== '0.0.0.0' && host !== '::') altNames.push({ type: 7, ip: host });
  const pems = await generate([{ name: 'commonName', value: 'vutlan-radius admin' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  mkdirSync(dirname(keyPath), { recursive: true });
  mkdirSync(dirname(certPath), { recursive: true });
  const tmpKey = `${keyPath}.tmp-${process.pid}`;
  writeFileSync(tmpKey, pems.private, { mode: 0o600 });
  chmodSync(tmpKey, 0o600);
  renameSync(tmpKey, keyPath);
  writeFileSync(certPath, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private, created: true };
}
