/**
 * The device emulator as a RADIUS client of a real FreeRADIUS 3.2 (the packaged raddb, as the
 * differential tests run it): HTTP -> emulator -> npm `radius` Access-Request -> FreeRADIUS
 * (seed authorize file) -> Vutlan attributes -> XML.
 * Proves the emulator speaks RADIUS to an implementation that is neither ours nor npm's.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceClient, DeviceError } from '../../src/device/client.js';
import { startTestDevice, type TestDevice } from '../device/start-device.js';
import { startFreeRadius, type RunningFreeRadius } from '../../src/bench/freeradius-runner.js';
import { hasFreeRadius, skipWithout } from '../support/tools.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const missing = skipWithout(hasFreeRadius(), 'FreeRADIUS (freeradius)');

describe.skipIf(missing)('device emulator against FreeRADIUS 3.2', () => {
  let fr: RunningFreeRadius;
  const devices: TestDevice[] = [];
  beforeAll(async () => {
    fr = await startFreeRadius({
      usersFile: path.join(root, 'test/fixtures/device/authorize'), secret: 'password123', dictionary: path.join(root, 'dictionaries/dictionary'),
    });
  });
  afterAll(async () => { for (const d of devices) await d.dispose(); await fr?.stop(); });

  async function device(nasIp: string): Promise<DeviceClient> {
    // Debian's FreeRADIUS 3.2.1 predates BlastRADIUS and does not sign Access-Accept.
    const d = await startTestDevice({
      nas_ip: nasIp,
      radius: { enable: true, addr: '127.0.0.1', port: fr.port, secret: 'password123', timeout_ms: 1000, retries: 1, require_message_authenticator: false },
    });
    devices.push(d);
    return new DeviceClient(d.url);
  }

  it('gives username01 full rights from NAS 192.168.1.88 and restricted lists from another NAS', async () => {
    const a = await (await device('192.168.1.88')).login('username01', 'guest');
    expect(a).toMatchObject({ id: 0, name: 'username01', sread: 'all,', swrite: 'all,', cread: 'all,', cwrite: 'all,', gread: 'all,', gwrite: 'all,' });
    const b = await (await device('192.168.1.99')).login('username01', 'guest');
    expect(b).toMatchObject({ sread: 'all,', swrite: 'devvirt,elements,log,logics,modules,notify,relays,sdcard,system,view,', gwrite: '3001,3002,' });
  });

  it('refuses a wrong password with authorization error', async () => {
    const err = await (await device('192.168.1.88')).login('username01', 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).type).toBe('authorization error');
    expect(fr.output()).toMatch(/Sent Access-Reject Id \d+ from 127\.0\.0\.1/);
  });
});
