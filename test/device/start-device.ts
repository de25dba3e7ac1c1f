/** Starts an emulator for a test: temp database, port 0, silent log. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { DeviceError, type DeviceErrorType } from '../../src/device/client.js';
import { parseDeviceConfig } from '../../src/device/config.js';
import { startDevice, type RunningDevice, type StartDeviceOptions } from '../../src/device/device.js';

/** A started emulator plus the temp directory that holds its database. */
export interface TestDevice extends RunningDevice {
  dir: string;
  dbFile: string;
  /** Closes the device and removes its directory. */
  dispose(): Promise<void>;
}

/** Starts an emulator on 127.0.0.1:0 with `overrides` merged into a minimal config. */
export async function startTestDevice(overrides: Record<string, unknown> = {}, opts: StartDeviceOptions = {}, dir?: string): Promise<TestDevice> {
  const d = dir ?? mkdtempSync(path.join(tmpdir(), 'vutlan-device-test-'));
  const config = parseDeviceConfig({
    http: { address: '127.0.0.1', port: 0 }, database: 'users.sqlite', nas_ip: '192.168.1.88', log: { level: 'silent' }, ...overrides,
  }, d);
  const device = await startDevice(config, { log: pino({ level: 'silent' }), ...opts });
  return {
    ...device, dir: d, dbFile: config.database,
    dispose: async () => { await device.close(); rmSync(d, { recursive: true, force: true }); },
  };
}

/** The error type a device call was refused with; throws when it succeeded or failed otherwise. */
export async function refused(p: Promise<unknown>): Promise<DeviceErrorType> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof DeviceError)) throw new Error(`expected a DeviceError, got ${String(err)}`);
  return err.type;
}
