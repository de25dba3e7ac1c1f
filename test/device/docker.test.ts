/**
 * The Docker files cannot be built here (no Docker engine in CI), so this checks what can be
 * checked without one: compose.yaml parses and wires the services as documented, every file it
 * and the Dockerfiles reference exists, the configs they run validate with the real loaders,
 * and docker/healthcheck.mjs really detects a live / dead server.
 */
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadDeviceConfig } from '../../src/device/config.js';
import { closeSnapshot, loadSnapshot } from '../../src/server/snapshot.js';
import { startServer } from '../../src/server/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docker = path.join(root, 'docker');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  networks?: Record<string, { ipv4_address: string }>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}

const compose = parse(readFileSync(path.join(docker, 'compose.yaml'), 'utf8')) as {
  services: Record<string, Service>;
  networks: Record<string, { ipam: { config: { subnet: string }[] } }>;
};

describe('docker/compose.yaml', () => {
  it('has the server, two device emulators and radclient on one network', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['device-a', 'device-b', 'radclient', 'server']);
    expect(compose.networks['radius-net']!.ipam.config[0]!.subnet).toBe('172.28.88.0/24');
    for (const s of Object.values(compose.services)) {
      expect(Object.keys(s.networks ?? {})).toEqual(['radius-net']);
      expect(s.networks!['radius-net']!.ipv4_address).toMatch(/^172\.28\.88\.\d+$/);
    }
    for (const name of ['device-a', 'device-b', 'radclient']) {
      expect(compose.services[name]!.depends_on?.server?.condition).toBe('service_healthy');
    }
  });

  it('builds from Dockerfiles that exist, relative to the repository root', () => {
    for (const s of Object.values(compose.services)) {
      if (!s.build) continue;
      const context = path.resolve(docker, s.build.context);
      expect(context).toBe(path.resolve(root));
      expect(existsSync(path.join(context, s.build.dockerfile))).toBe(true);
    }
    // Both emulators run the same image.
    expect(compose.services['device-b']!.image).toBe(compose.services['device-a']!.image);
  });

  it('runs device configs that validate and claim NAS 192.168.1.88 and 192.168.1.99, RADIUS at "server"', () => {
    const nas: string[] = [];
    for (const name of ['device-a', 'device-b']) {
      const cmd = compose.services[name]!.command!;
      expect(cmd.slice(0, 2)).toEqual(['serve', '-c']);
      const c = loadDeviceConfig(path.join(root, cmd[2]!));
      expect(c.radius).toMatchObject({ enable: true, addr: 'server', port: 1812, message_authenticator: true, require_message_authenticator: true });
      expect(c.http).toEqual({ address: '0.0.0.0', port: 8080 });
      nas.push(c.nas_ip);
    }
    expect(nas).toEqual(['192.168.1.88', '192.168.1.99']);
  });

  it('runs a server config that loads with the seed entries; compose gives it its network as RADIUS_CLIENTS', () => {
    const server = compose.services.server as Service & { environment?: Record<string, string> };
    // the image itself knows no NAS (docker/entrypoint.mjs adds the run-time clients)
    const clients = server.environment?.RADIUS_CLIENTS ?? '';
    expect(clients).toBe(`172.28.88.0/24=${(compose.services.radclient as Service & { environment: Record<string, string> }).environment.RADIUS_SECRET}`);
    for (const name of ['device-a', 'device-b']) {
      const c = loadDeviceConfig(path.join(root, compose.services[name]!.command![2]!));
      expect(`172.28.88.0/24=${c.radius.secret}`).toBe(clients);
    }
    const s = loadSnapshot(path.join(docker, 'config/radiusd.yaml'));
    try {
      expect(s.counts.fileEntries).toBe(2);
      expect(s.config.clients.map((c) => `${c.name} ${c.address}`)).toEqual(['healthcheck 127.0.0.1']);
      expect(s.config.listen.map((l) => `${l.type}:${l.port}`)).toEqual(['auth:1812', 'acct:1813']);
    } finally {
      closeSnapshot(s);
    }
  });
});

describe('Dockerfiles', () => {
  const server = readFileSync(path.join(docker, 'server.Dockerfile'), 'utf8');
  const device = readFileSync(path.join(docker, 'device.Dockerfile'), 'utf8');

  it('are multi-stage, run as a non-root user, and copy only files that exist', () => {
    for (const text of [server, device, readFileSync(path.join(docker, 'radclient.Dockerfile'), 'utf8')]) {
      expect(text).toMatch(/^USER (node|nobody)$/m);
      for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
        for (const src of m[1]!.split(/\s+/)) expect(existsSync(path.join(root, src)), src).toBe(true);
      }
    }
    expect(server.match(/^FROM /gm)).toHaveLength(2);
    expect(device.match(/^FROM /gm)).toHaveLength(2);
  });

  /** The sources the build stage (up to the second FROM) copies into /app, by COPY line. */
  const buildStageSources = (text: string): string[] => {
    const stage = text.split(/^FROM /m)[1]!;
    return [...stage.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
  };

  it('copy into the build stage everything `npm ci` needs to build dist/ (its prepare script runs `npm run build`)', () => {
    // Without a Docker engine: lay out /app as the build stage's COPY lines do, then run the same
    // build there (node_modules linked, as `npm ci` would have installed it).
    const sources = buildStageSources(server);
    expect(buildStageSources(device)).toEqual(sources);
    const app = mkdtempSync(path.join(tmpdir(), 'vr-docker-build-'));
    try {
      for (const src of sources) cpSync(path.join(root, src), path.join(app, src), { recursive: true });
      symlinkSync(path.join(root, 'node_modules'), path.join(app, 'node_modules'));
      const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: app, encoding: 'utf8', timeout: 240_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      // what the runtime stage takes from the build stage
      expect(existsSync(path.join(app, 'dist/cli/vutlan-radius.js'))).toBe(true);
      expect(existsSync(path.join(app, 'dist/cli/vutlan-device.js'))).toBe(true);
      expect(existsSync(path.join(app, 'dist/admin-ui/index.html'))).toBe(true);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  }, 300_000);

  it('expose the RADIUS ports and health-check the server with Status-Server', () => {
    expect(server).toMatch(/^EXPOSE 1812\/udp 1813\/udp$/m);
    expect(server).toMatch(/HEALTHCHECK[\s\S]*docker\/healthcheck\.mjs/);
    expect(server).toMatch(/^ENTRYPOINT \["node", "docker\/entrypoint\.mjs"\]$/m);
    expect(server).toMatch(/RADIUS_CLIENTS=/);
  });
});

describe('docker/healthcheck.mjs', () => {
  it('exits 0 against a live server and 1 when nothing answers', async () => {
    const srv = await startServer(path.join(root, 'test/fixtures/device/radiusd.yaml'), { watch: false });
    const port = srv.addresses()[0]!.port;
    // Asynchronous: the server runs in this process and must keep answering meanwhile.
    const run = () => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile('node', [path.join(docker, 'healthcheck.mjs')], {
        encoding: 'utf8', timeout: 10_000,
        env: { ...process.env, HEALTHCHECK_PORT: String(port), HEALTHCHECK_SECRET: 'password123', HEALTHCHECK_TIMEOUT_MS: '1000' },
      }, (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
    });
    try {
      const ok = await run();
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('healthy');
    } finally {
      await srv.close();
    }
    const dead = await run();
    expect(dead.status).toBe(1);
    expect(dead.stderr).toContain('unhealthy');
  });
});
