#!/usr/bin/env node
/**
 * `vutlan-device`: the Vutlan / Sky-Control device emulator and a command-line client for the
 * device API.
 *   vutlan-device serve [-c FILE]                         run the emulator
 *   vutlan-device call URL QUERYTYPE [name=value ...]     send one request, print the XML reply
 *   vutlan-device login URL NAME PASSWORD                 auth with SHA-1(PASSWORD), print the user
 * Exit codes: 0 done; 1 failure (config, database, port, device unreachable, HTTP error);
 * 2 usage (bad arguments, URL without http://); 3 the device refused.
 * Problems are one `error: ...` (or `file:line: ...`) line on stderr, never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { DeviceClient, DeviceError, DeviceProtocolError, DeviceUnreachableError, DeviceUrlError } from '../device/client.js';
import { DeviceConfigError, loadDeviceConfigFile, type LoadedDeviceConfig } from '../device/config.js';
import { DeviceStartError, startDevice } from '../device/device.js';
import { packageVersion } from './package-version.js';

const Exit = { ok: 0, failure: 1, usage: 2, refused: 3 } as const;

/** Prints one line for an expected failure and exits with its code; anything else is a bug, shown as such. */
function fail(err: unknown, loaded?: LoadedDeviceConfig): never {
  if (err instanceof DeviceConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(Exit.failure);
  }
  if (err instanceof DeviceStartError && loaded) {
    const line = loaded.lineOf(err.setting === 'http' ? ['http', 'port'] : ['database']);
    process.stderr.write(`${loaded.file}${line > 0 ? `:${line}` : ''}: ${err.message}\n`);
    process.exit(Exit.failure);
  }
  if (err instanceof DeviceUrlError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(Exit.usage);
  }
  if (err instanceof DeviceError) {
    process.stderr.write(`refused: ${err.type}\n`);
    process.exit(Exit.refused);
  }
  if (err instanceof DeviceUnreachableError || err instanceof DeviceProtocolError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(Exit.failure);
  }
  process.stderr.write(`error: ${(err as Error).message ?? String(err)} (unexpected; please report it)\n`);
  process.exit(Exit.failure);
}

const program = new Command();
program
  .name('vutlan-device')
  .description('Vutlan / Sky-Control device emulator (HTTP /engine.htm, local users, RADIUS client)')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? Exit.ok : Exit.usage);
  });

program
  .command('serve')
  .description('run the emulator')
  .option('-c, --config <file>', 'YAML config file', 'config/device.yaml')
  .action(async (o: { config: string }) => {
    let loaded: LoadedDeviceConfig | undefined;
    try {
      loaded = loadDeviceConfigFile(o.config);
      const config = loaded.config;
      const device = await startDevice(config);
      // One stable line on stdout for scripts (the bound port matters when the config says 0).
      console.log(`vutlan-device listening on ${device.url} nas_ip=${config.nas_ip}`);
      const stop = () => { void device.close().then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (err) {
      fail(err, loaded);
    }
  });

program
  .command('call')
  .description('send one request to /engine.htm and print the raw XML reply')
  .argument('<url>', 'device base URL, e.g. http://192.168.1.88')
  .argument('<querytype>', 'auth, getuser, adduser, deluser, setradius, getradius, authclose, ...')
  .argument('[fields...]', 'name=value pairs')
  .option('--json', 'send a JSON body instead of form fields')
  .action(async (url: string, querytype: string, fields: string[], o: { json?: boolean }) => {
    try {
      const body: Record<string, string> = {};
      for (const f of fields) {
        const i = f.indexOf('=');
        if (i <= 0) {
          process.stderr.write(`error: field "${f}" is not name=value\n`);
          process.exit(Exit.usage);
        }
        body[f.slice(0, i)] = f.slice(i + 1);
      }
      const res = await new DeviceClient(url, o.json ? { json: true } : {}).post(querytype, body);
      const text = res.body;
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      process.exit(!res.ok ? Exit.failure : /^<error type="(?!no error")/.test(text) ? Exit.refused : Exit.ok);
    } catch (err) {
      fail(err);
    }
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
      fail(err);
    }
  });

try {
  await program.parseAsync();
} catch (err) {
  fail(err);
}
