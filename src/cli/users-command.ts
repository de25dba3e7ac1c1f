import type { Command } from 'commander';

/**
 * Registers `vutlan-radius users --db FILE <sub>`: management of the SQLite user store.
 * Minimal first version; subcommands are added as the store lands.
 */
export function registerUsersCommand(program: Command): void {
  program
    .command('users')
    .description('manage the SQLite user store (list, show, add, set, disable, enable, del, import, export)')
    .requiredOption('--db <file>', 'SQLite database file');
}
