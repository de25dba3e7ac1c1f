// Entry point of the vutlan-radius image: adds the RADIUS clients given at run time to the
// configuration, then runs the server (signals forwarded, its exit code returned).
//
// An image cannot know the addresses of your NASes, so the clients come from the container:
//   RADIUS_CLIENTS       "ADDRESS=SECRET ..." (IP or CIDR, separated by spaces or commas), e.g.
//                        RADIUS_CLIENTS="192.168.1.88=s3cret-a 10.0.0.0/24=s3cret-b"
//                        (visible in `docker inspect`: prefer a mounted clients file)
//   RADIUS_CLIENTS_FILE  a FreeRADIUS clients.conf (default /etc/vutlan-radius/clients.conf,
//                        used when it exists: mount it read-only, or point this at a Docker secret)
//   RADIUS_CONFIG        the base config (default docker/config/radiusd.yaml beside this file);
//                        mount your own directory over /app/docker/config to replace it
// The base config with those clients is written beside it as radiusd.runtime.yaml (relative
// paths keep their meaning) and served. With no client for any NAS (the health check's loopback
// client does not count) it stops with how to add one: the server would drop every request.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const base = resolve(process.env.RADIUS_CONFIG ?? join(here, 'config/radiusd.yaml'));
const clientsFile = process.env.RADIUS_CLIENTS_FILE ?? '/etc/vutlan-radius/clients.conf';
const HEALTHCHECK = 'healthcheck';

function fail(message) {
  process.stderr.write(`vutlan-radius entrypoint: ${message}\n`);
  process.exit(1);
}

/** Parses RADIUS_CLIENTS into client entries; exits naming the bad item. */
function envClients(text) {
  const out = [];
  for (const item of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = item.indexOf('=');
    const address = eq > 0 ? item.slice(0, eq) : '';
    const secret = eq > 0 ? item.slice(eq + 1) : '';
    const [ip, len, extra] = address.split('/');
    const prefixOk = len === undefined || (/^\d+$/.test(len) && Number(len) <= (isIP(ip) === 6 ? 128 : 32));
    if (!address || !secret || isIP(ip ?? '') === 0 || !prefixOk || extra !== undefined) {
      fail(`RADIUS_CLIENTS: "${item.replace(/=.*/, '=...')}" is not ADDRESS=SECRET (ADDRESS an IP or CIDR, e.g. 192.168.1.0/24=a-long-secret)`);
    }
    out.push({ name: `env-${out.length + 1}`, address, secret, require_message_authenticator: 'auto' });
  }
  return out;
}

let text;
try {
  text = readFileSync(base, 'utf8');
} catch (err) {
  fail(`cannot read the config ${base}: ${err.message}`);
}
const doc = parseDocument(text);
if (doc.errors.length > 0) fail(`${base}: ${doc.errors[0].message.split('\n')[0]} (run vutlan-radius check -c ${base})`);

const added = envClients(process.env.RADIUS_CLIENTS ?? '');
if (added.length > 0) {
  if (!doc.has('clients')) doc.set('clients', doc.createNode([]));
  for (const c of added) doc.getIn(['clients']).add(doc.createNode(c));
}
const mounted = existsSync(clientsFile);
if (mounted) {
  if (doc.has('clients_file')) fail(`${base} sets clients_file already; remove it there or do not mount ${clientsFile}`);
  doc.set('clients_file', resolve(clientsFile));
}
const own = (doc.toJS()?.clients ?? []).filter((c) => c?.name !== HEALTHCHECK);
if (own.length === 0 && !doc.has('clients_file')) {
  fail([
    'no RADIUS clients: the server would drop every request. Give your NASes at run time:',
    '  docker run -e RADIUS_CLIENTS="192.168.1.88=<secret> 10.0.0.0/24=<secret>" ...',
    `  docker run -v /path/to/clients.conf:${clientsFile}:ro ...   (FreeRADIUS clients.conf format)`,
    '  or mount your own config directory over /app/docker/config',
  ].join('\n'));
}

const runtime = join(dirname(base), 'radiusd.runtime.yaml');
try {
  writeFileSync(runtime, `# Written by docker/entrypoint.mjs from ${base} and the container's RADIUS_CLIENTS / clients file.\n${String(doc)}`, { mode: 0o600 });
} catch (err) {
  fail(`cannot write ${runtime} (${err.code ?? err.message}): the config directory must be writable for the runtime clients; or put the clients in your own config`);
}
process.stderr.write(`vutlan-radius entrypoint: ${added.length} client(s) from RADIUS_CLIENTS${mounted ? `, clients file ${clientsFile}` : ''}; serving ${runtime}\n`);

const server = spawn(process.execPath, [join(here, '../dist/cli/vutlan-radius.js'), 'serve', '-c', runtime, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
