// Container health check of vutlan-radius: sends a Status-Server (with Message-Authenticator)
// to the local server using the project's own codec from dist/, and exits 0 only when an
// authentic Access-Accept comes back within the timeout.
//   HEALTHCHECK_HOST (127.0.0.1)  HEALTHCHECK_PORT (1812)  HEALTHCHECK_SECRET (healthcheck-local)
//   HEALTHCHECK_TIMEOUT_MS (2000)
// The secret must match a client entry for the loopback address in the server config.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { Code } from '../dist/protocol/codes.js';
import { encodeRequest, isAuthenticResponse } from '../dist/protocol/encode.js';

const host = process.env.HEALTHCHECK_HOST ?? '127.0.0.1';
const port = Number(process.env.HEALTHCHECK_PORT ?? 1812);
const secret = Buffer.from(process.env.HEALTHCHECK_SECRET ?? 'healthcheck-local', 'utf8');
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS ?? 2000);

const identifier = randomInt(256);
const { buffer, authenticator } = encodeRequest({ code: Code.StatusServer, identifier, attributes: [], secret, messageAuthenticator: true });
const socket = dgram.createSocket(isIPv6(host) ? 'udp6' : 'udp4');

const timer = setTimeout(() => {
  console.error(`unhealthy: no answer to Status-Server from ${host}:${port} within ${timeoutMs} ms`);
  socket.close();
  process.exit(1);
}, timeoutMs);

socket.on('message', (msg) => {
  if (msg.length < 20 || msg[1] !== identifier) return;
  if (msg[0] === Code.AccessAccept && isAuthenticResponse(msg, authenticator, secret)) {
    clearTimeout(timer);
    console.log(`healthy: ${host}:${port} answered Status-Server`);
    socket.close();
    process.exit(0);
  }
});
socket.on('error', (err) => {
  console.error(`unhealthy: ${err.message}`);
  process.exit(1);
});
socket.send(buffer, port, host);
