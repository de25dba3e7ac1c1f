/**
 * Free UDP ports for programs this process starts (our server, FreeRADIUS, radclient targets):
 * the one port finder of benchmarks and tests.
 */
import { createSocket } from 'node:dgram';

async function udpFree(port: number, address: string): Promise<boolean> {
  const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    s.once('error', () => { s.close(); resolve(false); });
    s.bind(port, address, () => s.close(() => resolve(true)));
  });
}

/**
 * A base port such that `count` consecutive UDP ports from it are free on 127.0.0.1 and ::1
 * right now (FreeRADIUS needs auth, acct and inner-tunnel ports together). Random in
 * 20000..59999 so parallel runs rarely collide; tries up to 50 bases.
 */
export async function findFreeUdpPorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      ok = (await udpFree(p, '127.0.0.1')) && (await udpFree(p, '::1'));
    }
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free UDP ports found`);
}

/** A UDP port on `address` that was free a moment ago (bound to port 0, then released). */
export async function freeUdpPort(address = '127.0.0.1'): Promise<number> {
  const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind(0, address, () => resolve()); });
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
