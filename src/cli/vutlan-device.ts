#!/usr/bin/env node
/**
 * `vutlan-device`: the Vutlan / Sky-Control device emulator and a command-line client for the
 * device API.
 *   vutlan-device serve [-c FILE]                         run the emulator
 *   vutlan-device call URL QUERYTYPE [name=value ...]     send one request, print the XML reply
 *   vutlan-device login URL NAME PASSWORD                 auth with SHA-1(PASSWORD), print the user
 */
import { Command } from 'commander';
import { DeviceClient, DeviceError } from '../device/client.js';
import { DeviceConfigError, loadDeviceConfig } from '../device/config.js';
import { startDevice } from '../device/device.js';

const program = new Command();
program.name('vutlan-device').description('Vutlan / Sky-Control device emulator (HTTP /engine.htm, local users, RADIUS client)');

program
  .command('serve')
  .description('run the emulator')
  .option('-c, --config <file>', 'YAML config file', 'config/device.yaml')
  .action(async (o: { config: string }) => {
    let config: ReturnType<typeof loadDeviceConfig>;
    try {
      config = loadDeviceConfig(o.config);
    } catch (err) {
      if (err instanceof DeviceConfigError) { console.error(err.message); process.exit(1); }
      throw err;
    }
    const device = await startDevice(config);
    // One stable line on stdout for scripts (the bound port matters when the config says 0).
    console.log(`vutlan-device listening on ${device.url} nas_ip=${config.nas_ip}`);
    const stop = () => { void device.close().then(() => process.exit(0)); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('call')
  .description('send one request to /engine.htm and print the raw XML reply')
  .argument('<url>', 'device base URL, e.g. http://192.168.1.88')
  .argument('<querytype>', 'auth, getuser, adduser, deluser, setradius, getradius, authclose, ...')
  .argument('[fields...]', 'name=value pairs')
  .option('--json', 'send a JSON body instead of form fields')
  .action(async (url: string, querytype: string, fields: string[], o: { json?: boolean }) => {
    const body: Record<string, string> = { querytype };
    for (const f of fields) {
      const i = f.indexOf('=');
      if (i <= 0) { console.error(`field "${f}" is not name=value`); process.exit(2); }
      body[f.slice(0, i)] = f.slice(i + 1);
    }
    const res = await fetch(new URL('engine.htm', url.endsWith('/') ? url : `${url}/`), o.json
      ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }
      : { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
    const text = await res.text();
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    process.exit(!res.ok ? 1 : /^<error type="(?!no error")/.test(text) ? 3 : 0);
  });

program
  .command('login')
  .description('log in (h = SHA-1 hex of PASSWORD) and print the user, lists and session key')
  .argument('<url>', 'device base URL')
  .argument('<name>')
  .argument('<password>')
  .action(async (url: string, name: string, password: string) => {
    try {
      const u = await new DeviceClient(url).login(name, password);
      console.log(JSON.stringify(u));
    } catch (err) {
      if (err instanceof DeviceError) { console.error(`refused: ${err.type}`); process.exit(3); }
      throw err;
    }
  });

await program.parseAsync();
