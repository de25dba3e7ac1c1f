import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { hashAdminPassword, MIN_ADMIN_PASSWORD_LENGTH } from '../admin/admin-password.js';
import { AdminAccountError, AdminStore, parseRole } from '../admin/admin-store.js';
import { loadConfig } from '../server/config.js';
import { ConfigError, formatProblem } from '../server/config-error.js';

/**
 * `vutlan-radius admin [-c FILE] add|list|passwd|role|del`: accounts of the web administration,
 * kept in the `admin.db` of the config's `admin` block. Exit codes: 0 done, 1 failure,
 * 2 invalid argument, 3 no such account, 4 already exists.
 */

interface AdminOpts {
  config: string;
}

function readPassword(o: { passwordStdin?: boolean; passwordFile?: string }): { password: string; generated: boolean } {
  if (o.passwordStdin && o.passwordFile) throw new AdminAccountError('invalid_argument', 'give only one of --password-stdin, --password-file');
  if (!o.passwordStdin && !o.passwordFile) return { password: randomBytes(15).toString('base64url'), generated: true };
  const text = readFileSync(o.passwordStdin ? 0 : o.passwordFile!, 'utf8').replace(/\r?\n$/, '');
  if (text.length < MIN_ADMIN_PASSWORD_LENGTH) throw new AdminAccountError('invalid_argument', `password: at least ${MIN_ADMIN_PASSWORD_LENGTH} characters`);
  return { password: text, generated: false };
}

async function run(configPath: string, body: (store: AdminStore) => Promise<void> | void): Promise<void> {
  let store: AdminStore | undefined;
  try {
    const config = loadConfig(configPath);
    if (!config.admin) {
      throw new AdminAccountError('invalid_argument', `${config.file}: no "admin" block: add "admin: { listen: 127.0.0.1:8443 }" first`);
    }
    store = new AdminStore(config.admin.db);
    await body(store);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exitCode = err instanceof AdminAccountError
        ? (err.code === 'not_found' ? 3 : err.code === 'already_exists' ? 4 : 2)
        : 1;
    }
  } finally {
    store?.close();
  }
}

export function registerAdminCommand(program: Command): void {
  const admin = program
    .command('admin')
    .description('manage the accounts of the web administration (admin block of the config)')
    .option('-c, --config <file>', 'configuration file', 'config/radiusd.yaml');
  admin.exitOverride((err: CommanderError) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') process.exit(0);
    process.exit(2);
  });
  const cfg = (): string => admin.opts<AdminOpts>().config;

  admin.command('add')
    .argument('<name>')
    .option('--role <role>', 'viewer, editor or admin', 'admin')
    .option('--password-stdin', 'read the password from standard input')
    .option('--password-file <file>', 'read the password from the first line of FILE')
    .description('create an account (without a password option, a random password is made and printed once)')
    .action((name: string, o: { role: string; passwordStdin?: boolean; passwordFile?: string }) => run(cfg(), async (store) => {
      const role = parseRole(o.role);
      const { password, generated } = readPassword(o);
      store.addAccount(name, role, await hashAdminPassword(password));
      process.stdout.write(`added ${role} ${name}\n`);
      if (generated) process.stdout.write(`password: ${password}\n`);
    }));

  admin.command('list')
    .description('list accounts')
    .action(() => run(cfg(), (store) => {
      for (const a of store.accounts()) process.stdout.write(`${a.name}\t${a.role}\tlast login ${a.lastLoginAt ?? 'never'}\n`);
    }));

  admin.command('passwd')
    .argument('<name>')
    .option('--password-stdin', 'read the password from standard input')
    .option('--password-file <file>', 'read the password from the first line of FILE')
    .description('set a new password (random and printed once without a password option); takes effect at the next sign-in')
    .action((name: string, o: { passwordStdin?: boolean; passwordFile?: string }) => run(cfg(), async (store) => {
      const { password, generated } = readPassword(o);
      store.setPasswordHash(name, await hashAdminPassword(password));
      process.stdout.write(`password of ${name} changed\n`);
      if (generated) process.stdout.write(`password: ${password}\n`);
    }));

  admin.command('role')
    .argument('<name>')
    .argument('<role>', 'viewer, editor or admin')
    .description("change an account's role")
    .action((name: string, role: string) => run(cfg(), (store) => {
      store.setRole(name, parseRole(role));
      process.stdout.write(`${name} is now ${role}\n`);
    }));

  admin.command('del')
    .argument('<name>')
    .description('delete an account')
    .action((name: string) => run(cfg(), (store) => {
      store.deleteAccount(name);
      process.stdout.write(`deleted ${name}\n`);
    }));
}
