import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceConfigError, loadDeviceConfig } from '../../src/device/config.js';

function write(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vutlan-device-config-'));
  const file = path.join(dir, 'device.yaml');
  writeFileSync(file, text);
  return file;
}

describe('device config', () => {
  it('applies defaults and resolves the database relative to the config file', () => {
    const file = write('http: { address: 127.0.0.2, port: 0 }\ndatabase: data/users.sqlite\nnas_ip: 192.168.1.99\n');
    const c = loadDeviceConfig(file);
    expect(c.database).toBe(path.join(path.dirname(file), 'data/users.sqlite'));
    expect(c.http).toEqual({ address: '127.0.0.2', port: 0 });
    expect(c.radius).toMatchObject({ enable: false, port: 1812, message_authenticator: true, retries: 2 });
    expect(c.session_idle_seconds).toBe(900);
  });

  it('rejects unknown keys, bad addresses and an enabled RADIUS without secret, naming the key', () => {
    expect(() => loadDeviceConfig(write('http: {}\ndatabase: x\nnas_ip: 1.2.3.4\nbogus: 1\n'))).toThrow(/bogus/);
    expect(() => loadDeviceConfig(write('http: {}\ndatabase: x\nnas_ip: not-an-ip\n'))).toThrow(/nas_ip/);
    expect(() => loadDeviceConfig(write('http: {}\ndatabase: x\nnas_ip: 1.2.3.4\nradius: { enable: true, addr: 127.0.0.1 }\n'))).toThrow(/radius/);
    expect(() => loadDeviceConfig('/nonexistent/device.yaml')).toThrow(DeviceConfigError);
  });
});
