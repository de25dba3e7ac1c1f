import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPbkdf2 } from '../../src/policy/passwords/pbkdf2.js';
import { A, buildRequest } from '../support/raw-radius.js';
import { CLI, cleanup, DEVICE_HASH, faultDir, login, metric, SECRET, startFaultServer, UdpClient, type FaultServer } from './harness.js';

const ORDINARY = `ordinary Cleartext-Password := "${DEVICE_HASH}"\n\tReply-Message = "hello"\n`;

/**
 * Fault 7 of issue 11: slow password schemes. A flood of wrong passwords for one PBKDF2 user
 * (600,000 iterations, the project's default) must not stop other users' answers; costs above
 * the bounds are refused at load with file:line.
 */
describe('slow password hashes', () => {
  let server: FaultServer;

  beforeAll(async () => {
    const pbkdf2 = hashPbkdf2(Buffer.from('right-password'), { iterations: 600_000 });
    server = await startFaultServer({
      authorize: `slow Password-With-Header := "${pbkdf2}"\n\tReply-Message = "slow"\n${ORDINARY}`,
      extra: ['log: { level: info, pretty: false }'],
    });
  });
  afterAll(async () => {
    await server?.stop();
    cleanup(server.dir);
  });

  it('wrong passwords for one PBKDF2 user at 200 req/s do not keep other users waiting', async () => {
    const flooders = await Promise.all(Array.from({ length: 4 }, () => UdpClient.open()));
    let sent = 0;
    const flood = setInterval(() => {
      // 10 per 50 ms = 200 per second, fire and forget like a NAS under a guessing attack
      for (let i = 0; i < 10; i++) {
        const req = buildRequest({ id: sent % 256, secret: SECRET, attrs: [A.userName('slow'), A.nasIp('10.0.0.5')], password: `guess-${sent}`, ma: true });
        flooders[sent % flooders.length]!.send(req.buf, server.auth);
        sent++;
      }
    }, 50);
    const answers: (number | undefined)[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        answers.push(await login(server.auth, 'ordinary', DEVICE_HASH, 5000));
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      clearInterval(flood);
      for (const c of flooders) c.close();
    }
    expect(sent).toBeGreaterThan(300);
    expect(answers.filter((a) => a === 2)).toHaveLength(40);
    // the guesses past the per-user cap were dropped and counted, the others rejected
    expect(await metric(server.metrics, 'radius_dropped_packets_total{reason="password_check_busy"}')).toBeGreaterThan(0);
    // and the user's right password works once the flood is over
    await new Promise((r) => setTimeout(r, 1500));
    expect(await login(server.auth, 'slow', 'right-password', 5000)).toBe(2);
    expect(await login(server.auth, 'slow', 'wrong', 5000)).toBe(3);
  });

  it('iterations or rounds above the bounds are refused at load with file:line', () => {
    const dir = faultDir();
    try {
      const rounds = Buffer.alloc(4);
      rounds.writeUInt32BE(5_000_000);
      const tooMany = `{X-PBKDF2}HMACSHA2+256:${rounds.toString('base64')}:${Buffer.alloc(16, 1).toString('base64')}:${Buffer.alloc(32, 2).toString('base64')}`;
      writeFileSync(join(dir, 'authorize'), `${ORDINARY}\nheavy Password-With-Header := "${tooMany}"\n\ncrypty Crypt-Password := "$6$rounds=999999999$saltsalt$${'a'.repeat(86)}"\n`);
      writeFileSync(join(dir, 'radiusd.yaml'), [
        `clients: [{ name: lab, address: 127.0.0.0/8, secret: ${SECRET} }]`,
        'users: { files: [ ./authorize ] }',
      ].join('\n'));
      const r = spawnSync(process.execPath, [CLI, 'check', '-c', join(dir, 'radiusd.yaml')], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/authorize:4: Password-With-Header: PBKDF2 with 5000000 iterations is above the limit of 1000000/);
      expect(r.stderr).toMatch(/authorize:6: Crypt-Password: Crypt-Password with rounds=999999999 is above the limit of 50000/);
    } finally {
      cleanup(dir);
    }
  });
});
