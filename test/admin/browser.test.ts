import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../server/test-server.js';
import { runTool } from '../support/run-tool.js';
import { hasCommand, skipWithout } from '../support/tools.js';
import { PASSWORDS, signedIn, startAdminRig, type AdminRig } from './admin-rig.js';

/**
 * The web administration in a real headless Chromium (the system's /usr/bin/chromium, driven by
 * playwright-core; no browser download, the network is closed): sign in, add a user with full
 * rights on one device and restricted rights elsewhere, then radclient from both NAS addresses
 * gets exactly those attributes; an edit in the browser is seen by the next request. Every page
 * is screenshotted (test-artifacts/admin/, gitignored) at 1280x800 and at phone width, and must
 * render without console errors. Script in names and values must come out as text.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = skipWithout(existsSync(CHROMIUM) && hasCommand('radclient'), `Chromium (${CHROMIUM}) and radclient`);
const ARTIFACTS = join(repoRoot, 'test-artifacts', 'admin');

const radclient = (port: number, input: string) =>
  runTool('radclient', ['-x', '-t', '3', '-r', '2', '-d', join(repoRoot, 'dictionaries'), `127.0.0.1:${port}`, 'auth', 'testing123'], { input });

/** The Vutlan attributes of radclient's printed reply, in order. */
function vutlanAttributes(out: string): string[] {
  const reply = out.slice(out.indexOf('Received Access-'));
  return [...reply.matchAll(/^\s*((?:SRead|SWrite|CRead|CWrite|GRead|GWrite|RFU1|RFU2) = "[^"]*")/gm)].map((m) => m[1]!);
}

/** Device login as a NAS: source address and NAS-IP-Address set to the NAS, password = SHA-1 hex. */
async function loginFrom(rig: AdminRig, nas: string, user: string, sha1hex: string) {
  return radclient(rig.auth, `User-Name = "${user}"\nUser-Password = "${sha1hex}"\nNAS-IP-Address = ${nas}\nPacket-Src-IP-Address = ${nas}\nMessage-Authenticator = 0x00\n`);
}

const GUEST_SHA1 = '35675e68f4b5af7b995d9205ad0fc43842f16450';

describe.skipIf(missing)('web administration in Chromium', () => {
  let rig: AdminRig;
  let browser: Browser;
  let profile: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    rig = await startAdminRig({ clients: `
clients:
  - { name: lab, address: 127.0.0.1, secret: testing123 }
  - { name: device-a, address: 127.0.0.21, secret: testing123, require_message_authenticator: yes }
  - { name: device-b, address: 127.0.0.22, secret: testing123, require_message_authenticator: yes }
` });
    profile = mkdtempSync(join(tmpdir(), 'vr-chromium-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      ],
      // playwright starts the browser with a fresh temporary --user-data-dir of its own (it refuses
      // the flag); the profile directory here is for the downloads and crash dumps
      downloadsPath: profile,
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  beforeEach(() => { consoleErrors.length = 0; });

  async function newPage(width = 1280, height = 800): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width, height } });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`); });
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
    page.on('dialog', (d) => {
      if (d.type() === 'alert') consoleErrors.push(`alert() ran: ${d.message()}`);
      void d.accept();
    });
    return { context, page };
  }

  async function signIn(page: Page, role: 'viewer' | 'editor' | 'admin'): Promise<void> {
    await page.goto(`${rig.url}/`);
    await page.fill('#login-name', role);
    await page.fill('#login-password', PASSWORDS[role]);
    await page.click('#login-submit');
    await page.waitForSelector('#who');
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  it('add a user in the browser; radclient from both NAS addresses gets exactly those rights; an edit is seen by the next request', async () => {
    const { context, page } = await newPage();
    await page.goto(`${rig.url}/`);
    await page.waitForSelector('#login-name');
    await shot(page, 'login-1280');
    await signIn(page, 'editor');
    await page.click('#user-add');
    await page.waitForSelector('#user-name');
    await page.fill('#user-name', 'op-browser');
    await page.selectOption('#user-password-kind', 'device');
    await page.fill('#user-password', 'guest');
    // elsewhere: read all, write only view and log; groups 3001,3002 writable
    await page.check('[data-testid="general-sread-all"]');
    await page.check('[data-testid="general-swrite-view"]');
    await page.check('[data-testid="general-swrite-log"]');
    await page.selectOption('[data-testid="general-gread-mode"]', 'all');
    await page.selectOption('[data-testid="general-gwrite-mode"]', 'groups');
    await page.fill('[data-testid="general-gwrite"]', '3001,3002');
    // device-a: full rights
    await page.click('#override-add');
    await page.fill('[data-testid="override-0-nas"]', '127.0.0.21');
    await page.uncheck('[data-testid="override-0-swrite-view"]');
    await page.uncheck('[data-testid="override-0-swrite-log"]');
    await page.check('[data-testid="override-0-swrite-all"]');
    await page.selectOption('[data-testid="override-0-gwrite-mode"]', 'all');
    await shot(page, 'user-new-1280');
    await page.click('#user-save');
    await page.waitForSelector('#user-title');
    await page.waitForSelector('#rights-table tbody tr[data-nas="127.0.0.22"]');
    expect(await page.textContent('#rights-table tbody tr[data-nas="127.0.0.21"]')).toContain('all,');
    await shot(page, 'user-edit-1280');

    const a = await loginFrom(rig, '127.0.0.21', 'op-browser', GUEST_SHA1);
    expect(a.output).toMatch(/Received Access-Accept/);
    expect(vutlanAttributes(a.output)).toEqual(['SRead = "all,"', 'SWrite = "all,"', 'GRead = "all,"', 'GWrite = "all,"']);
    const b = await loginFrom(rig, '127.0.0.22', 'op-browser', GUEST_SHA1);
    expect(b.output).toMatch(/Received Access-Accept/);
    expect(vutlanAttributes(b.output)).toEqual(['SRead = "all,"', 'SWrite = "log,view,"', 'GRead = "all,"', 'GWrite = "3001,3002,"']);

    // edit in the browser: device-b (elsewhere) loses write on log, gains system
    await page.uncheck('[data-testid="general-swrite-log"]');
    await page.check('[data-testid="general-swrite-system"]');
    await page.click('#user-save');
    await page.waitForSelector('text=saved op-browser');
    const b2 = await loginFrom(rig, '127.0.0.22', 'op-browser', GUEST_SHA1);
    expect(vutlanAttributes(b2.output)).toEqual(['SRead = "all,"', 'SWrite = "system,view,"', 'GRead = "all,"', 'GWrite = "3001,3002,"']);
    const a2 = await loginFrom(rig, '127.0.0.21', 'op-browser', GUEST_SHA1);
    expect(vutlanAttributes(a2.output)).toEqual(['SRead = "all,"', 'SWrite = "all,"', 'GRead = "all,"', 'GWrite = "all,"']);

    // test login from the page, as device-b
    await page.fill('#test-nas', '127.0.0.22');
    await page.fill('#test-password', 'guest');
    await page.click('#test-send');
    await page.waitForSelector('#test-result');
    expect(await page.textContent('#test-result')).toContain('GWrite = "3001,3002,"');
    await shot(page, 'user-test-login-1280');

    // a bad value: the CLI's message next to the field, nothing saved
    await page.selectOption('[data-testid="override-0-gread-mode"]', 'groups');
    await page.fill('[data-testid="override-0-gread"]', 'all,3001');
    await page.click('#user-save');
    const msg = await page.waitForSelector('[data-field="overrides.0.lists.gread"] .field-error');
    expect(await msg.textContent()).toBe('--gread: all / none cannot be combined with other groups');
    await shot(page, 'user-form-error-1280');
    const a3 = await loginFrom(rig, '127.0.0.21', 'op-browser', GUEST_SHA1);
    expect(vutlanAttributes(a3.output)).toEqual(['SRead = "all,"', 'SWrite = "all,"', 'GRead = "all,"', 'GWrite = "all,"']);
    await context.close();
    // the refused save above is the one failed request the browser reports
    expect(consoleErrors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    expect(consoleErrors.filter((e) => /status of 400/.test(e))).toHaveLength(1);
  }, 120_000);

  it('script in user names and values is shown as text everywhere', async () => {
    const api = await signedIn(rig, 'editor');
    const evil = '<img/src=x/onerror=alert(1)>'; // no spaces: filter_username refuses them in names
    const r = await api.post('/api/users', { name: `x${evil}`, password: { kind: 'plain', value: 'p' }, lists: { rfu1: `<script>alert(2)</script>`, cread: `"><svg onload=alert(3)>` } });
    expect(r.status).toBe(201);
    const { context, page } = await newPage();
    await signIn(page, 'admin');
    await page.goto(`${rig.url}/#/users`);
    await page.fill('#user-search', 'onerror');
    await page.waitForSelector('#users-range:has-text("1-1 of 1")');
    expect(await page.textContent('[data-testid="user-link"]')).toBe(`x${evil}`);
    await page.click('[data-testid="user-link"]');
    await page.waitForSelector('#user-title');
    expect(await page.textContent('#user-title')).toBe(`x${evil}`);
    expect(await page.inputValue('[data-testid="general-rfu1"]')).toBe('<script>alert(2)</script>');
    await page.goto(`${rig.url}/#/audit`);
    await page.waitForSelector('#audit-table tbody tr');
    expect(await page.textContent('#audit-table')).toContain(evil);
    expect(await page.$$eval('img, svg:not(.u-over svg)', (els) => els.filter((e) => e.closest('#audit-table, #users-table, #user-form')).length)).toBe(0);
    await context.close();
    expect(consoleErrors.filter((e) => e.startsWith('alert'))).toEqual([]);
  }, 60_000);

  it('every page renders without console errors at 1280x800 and at phone width', async () => {
    // some traffic so the tables and charts have content
    await loginFrom(rig, '127.0.0.21', 'op-browser', 'wrong'.padEnd(40, '0'));
    const pages = ['users', 'users/op-browser', 'new-user', 'devices', 'activity', 'files', 'admins', 'audit'];
    for (const [label, width, height] of [['1280', 1280, 800], ['phone', 390, 844]] as const) {
      const { context, page } = await newPage(width, height);
      await signIn(page, 'admin');
      for (const p of pages) {
        await page.goto(`${rig.url}/#/${p}`);
        await page.waitForSelector('main section');
        if (p === 'activity') await page.waitForTimeout(4500); // two samples for the chart
        if (p === 'devices') {
          await page.waitForSelector('#clients-table tbody tr');
        }
        await shot(page, `${p.replace(/\//g, '-')}-${label}`);
      }
      if (label === '1280') {
        // a device added in the browser shows its secret once
        await page.goto(`${rig.url}/#/devices`);
        await page.fill('#client-name', 'device-c');
        await page.fill('#client-address', '127.0.0.23');
        await page.click('#client-add');
        await page.waitForSelector('#client-secret');
        expect(await page.textContent('#client-secret')).toMatch(/^[A-Za-z0-9_-]{32}$/);
        await shot(page, 'devices-secret-1280');
        await page.reload();
        await page.waitForSelector('#clients-table tbody tr');
        expect(await page.$('#client-secret')).toBeNull();
        expect(await page.textContent('#clients-table')).toContain('device-c');
        await page.goto(`${rig.url}/#/activity`);
        await page.waitForSelector('#failures-table tbody tr');
        expect(await page.textContent('#failures-table')).toContain('wrong_password');
      }
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number;
      expect(overflow, `horizontal overflow at ${label}`).toBeLessThanOrEqual(1);
      await context.close();
    }
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('a viewer sees no editing controls', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'viewer');
    await page.goto(`${rig.url}/#/users/op-browser`);
    await page.waitForSelector('#user-title');
    expect(await page.$('#user-save')).toBeNull();
    expect(await page.$('#user-add')).toBeNull();
    expect(await page.isDisabled('[data-testid="general-sread-all"]')).toBe(true);
    await shot(page, 'user-viewer-1280');
    await context.close();
  }, 60_000);
});
