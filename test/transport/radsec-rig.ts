/**
 * What the RADIUS/TLS interop tests share: our server with a UDP auth listener and a radsec
 * listener (certificates of a fresh test PKI), one radsec client admitted by its certificate's
 * SAN, and radclient run without blocking that server.
 */
import { fileURLToPath } from 'node:url';
import { CLIENTS, startTestServer, type TestServer } from '../server/test-server.js';
import { runTool, type ToolRun } from '../support/run-tool.js';
import type { TestPki } from './certs.js';

export const DICTIONARY_DIR = fileURLToPath(new URL('../../dictionaries', import.meta.url));
/** username01's password as a device sends it (the SHA-1 hex of "guest"). */
export const DEVICE_PASSWORD = '35675e68f4b5af7b995d9205ad0fc43842f16450';

/** The `listen:` YAML of a UDP auth listener and a radsec listener with the PKI's server certificate, then `extra`. */
export function radsecListen(pki: TestPki, extra = ''): string {
  return `
listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
  - type: radsec
    address: 127.0.0.1
    port: 0
    tls: { cert: ${JSON.stringify(pki.serverCert)}, key: ${JSON.stringify(pki.serverKey)}, ca: ${JSON.stringify(pki.ca)} }
${extra}`;
}

/** Starts our server with a radsec listener; `client` is the name of the radsec client (SAN site1.example.net). */
export async function startRadsecServer(pki: TestPki, client: string): Promise<{ ts: TestServer; tlsPort: number }> {
  const ts = await startTestServer('', {
    listen: radsecListen(pki),
    clients: `${CLIENTS}
  - { name: ${client}, address: 127.0.0.1, radsec: { san: site1.example.net } }
`,
  });
  return { ts, tlsPort: ts.server.addresses().find((a) => a.type === 'radsec')!.port };
}

/** radclient (with the project's dictionaries) sending `input` to 127.0.0.1:`port`. */
export function radclient(port: number, kind: 'auth' | 'acct', secret: string, input: string, o: { tries?: number; timeoutSeconds?: number } = {}): Promise<ToolRun> {
  const tries = o.tries ?? 2;
  return runTool('radclient', ['-x', '-r', String(tries), '-t', String(o.timeoutSeconds ?? 4), '-d', DICTIONARY_DIR, `127.0.0.1:${port}`, kind, secret], { input });
}
