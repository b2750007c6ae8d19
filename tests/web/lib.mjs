// Fixture and helpers for the browser tests of `casevault serve`: a scratch
// archive made with the command line, the service on a free loopback port,
// the system's Chromium driven by playwright-core, and the checks every step
// gets (<html lang="fr">, no console error, no CSP violation, a screenshot).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SRC = path.resolve(HERE, '..', '..');
export const BUNDLES = path.join(SRC, 'tests', 'data', 'bundles');
export const CRED = 'phrase personnelle de test 2026';
export const USERS = { dpo: 'dpo', maft: 'maft', directrice: 'director', archiv: 'archivist', auditeur: 'auditor' };

export class AssertionError extends Error {}
export function assert(cond, msg) {
  if (!cond) throw new AssertionError(msg || 'assertion failed');
}
export function assertEqual(a, b, msg) {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new AssertionError(`${msg || 'not equal'}: ${JSON.stringify(a)} !== ${JSON.stringify(b)}`);
}

export function isoDaysAgo(n) {
  const d = new Date(Date.now() - n * 86400000);
  return d.toISOString().slice(0, 10);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A scratch archive: key, users with their credentials, the sample bundles. */
export class Archive {
  constructor(bin) {
    this.bin = bin;
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-web-'));
    this.dir = path.join(this.work, 'archive');
    this.key = path.join(this.work, 'master.key');
    this.credFile = path.join(this.work, 'cred');
    fs.writeFileSync(this.credFile, CRED + '\n', { mode: 0o600 });
    this.env = { ...process.env, CASEVAULT_ARCHIVE: this.dir, CASEVAULT_KEY_FILE: this.key, CASEVAULT_USER: 'archiviste' };
    delete this.env.CASEVAULT_PASSPHRASE_FILE;
    this.cv('keygen', this.key);
    this.cv('init');
    for (const [name, role] of Object.entries(USERS)) this.cv('user', 'add', name, '--role', role, '--credential-file', this.credFile);
    this.cv('ingest', ...['leroy', 'petit', 'moreau'].map((b) => path.join(BUNDLES, b)));
  }

  cv(...args) {
    let opts = {};
    if (args.length && typeof args[args.length - 1] === 'object') opts = args.pop();
    const env = { ...this.env, ...(opts.user ? { CASEVAULT_USER: opts.user } : {}) };
    try {
      return execFileSync(this.bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 }).toString();
    } catch (e) {
      throw new Error(`casevault ${args.join(' ')} failed (${e.status}): ${e.stderr}`);
    }
  }

  js(...args) {
    return JSON.parse(this.cv('--json', ...args));
  }

  caseId(ref) {
    const c = this.js('case', 'list').find((x) => x.ref === ref);
    if (!c) throw new Error(`no case ${ref}`);
    return c.id;
  }

  journal() {
    return this.js('journal', 'show');
  }

  remove() {
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}

/** `casevault serve` on a free port; start() resolves once it printed its URL. */
export class Service {
  constructor(archive, logPath) {
    this.a = archive;
    this.logPath = logPath;
    this.output = [];
  }

  async start(timeoutMs = 60000) {
    this.port = await freePort();
    const work = path.join(this.a.work, 'serve-work');
    fs.mkdirSync(work, { recursive: true, mode: 0o700 });
    const env = { ...process.env };
    for (const k of ['CASEVAULT_ARCHIVE', 'CASEVAULT_KEY_FILE', 'CASEVAULT_PASSPHRASE_FILE', 'CASEVAULT_USER']) delete env[k];
    this.proc = spawn(this.a.bin, ['-A', this.a.dir, '--key-file', this.a.key, '--as', 'archiviste', 'serve',
      '--listen', `127.0.0.1:${this.port}`, '--work-dir', work], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = this.logPath ? fs.createWriteStream(this.logPath) : null;
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`casevault serve did not start:\n${this.output.join('')}`)), timeoutMs);
      const onData = (tag) => (chunk) => {
        const s = chunk.toString();
        this.output.push(s);
        if (log) log.write(s);
        if (/https?:\/\/\S+/.test(s)) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.proc.stdout.on('data', onData('out'));
      this.proc.stderr.on('data', onData('err'));
      this.proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`casevault serve exited (${code}):\n${this.output.join('')}`));
      });
    });
    this.base = `http://127.0.0.1:${this.port}`;
    return this;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return this.proc ? { code: this.proc.exitCode } : null;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 30000);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }
}

/**
 * One browser page with the checks of every step: the console (errors),
 * page errors, CSP violations (reported by the browser on the console and by a
 * securitypolicyviolation listener installed before any page script).
 */
export class Session {
  constructor(ctx, page, test, artefacts, base) {
    Object.assign(this, { ctx, page, test, artefacts, base });
    this.problems = [];
    this.allowed = [];  // regexps of console errors expected by the current step
    this.step = 0;
    this.favicon = [];  // the browser's own /favicon.ico request: checked by favicon.test.mjs alone
    page.on('console', (m) => {
      if (m.type() !== 'error' && !/Content Security Policy/i.test(m.text())) return;
      const where = (m.location() && m.location().url) || '';
      const text = `${m.type()}: ${m.text()} [${where}] (page ${page.url()})`;
      if (/\/favicon\.ico$/.test(where)) {
        this.favicon.push(text);
        return;
      }
      if (this.allowed.some((re) => re.test(m.text()))) return;
      this.problems.push(text);
    });
    // data-confirm questions (window.confirm): the user answers OK; kept for the tests to look at
    this.dialogs = [];
    page.on('dialog', (d) => {
      this.dialogs.push(`${d.type()}: ${d.message()}`);
      d.accept().catch(() => {});
    });
    page.on('pageerror', (e) => this.problems.push(`page error: ${e.message} (${page.url()})`));
  }

  static async open(browser, test, artefacts, base) {
    const ctx = await browser.newContext({ acceptDownloads: true, locale: 'fr-FR', timezoneId: 'Europe/Paris', baseURL: base });
    await ctx.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
      });
    });
    const page = await ctx.newPage();
    page.setDefaultTimeout(20000);
    return new Session(ctx, page, test, artefacts, base);
  }

  /** After each step: <html lang="fr">, no console error / CSP violation so far, a screenshot. */
  async check(name, { status } = {}) {
    this.step += 1;
    const file = path.join(this.artefacts, `${this.test}-${String(this.step).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    const lang = await this.page.evaluate(() => document.documentElement.getAttribute('lang'));
    assertEqual(lang, 'fr', `${this.test}/${name}: <html lang> of ${this.page.url()}`);
    const title = await this.page.title();
    assert(title && title.trim(), `${this.test}/${name}: page without a title (${this.page.url()})`);
    assert(this.problems.length === 0, `${this.test}/${name}: console errors / CSP violations:\n  ${this.problems.join('\n  ')}`);
  }

  async goto(p, opts = {}) {
    const resp = await this.page.goto(p, { waitUntil: 'load', ...opts });
    return resp;
  }

  async login(user, credential = CRED) {
    await this.goto('/login');
    await this.page.fill('[name="user"]', user);
    await this.page.fill('[name="credential"]', credential);
    const [resp] = await Promise.all([this.page.waitForNavigation({ waitUntil: 'load' }),
      this.submit(this.page.locator('form:has([name="credential"])'))]);
    if (new URL(this.page.url()).pathname === '/login' || (resp && resp.status() >= 400)) {
      const main = await this.page.locator('main, body').first().innerText().catch(() => '');
      await this.page.screenshot({ path: path.join(this.artefacts, `${this.test}-login-refused.png`), fullPage: true });
      throw new AssertionError(`the browser's login as ${user} was refused: HTTP ${resp && resp.status()} on ` +
        `${this.page.url()}: ${main.replace(/\s+/g, ' ').slice(0, 300)}`);
    }
  }

  /** Click the submit button of a form (a locator of the form). */
  async submit(form) {
    const btn = form.locator('button[type="submit"], input[type="submit"], button:not([type])').first();
    await btn.click();
  }

  /** Submit a form and wait for the next page. */
  async submitAndWait(form) {
    await Promise.all([this.page.waitForNavigation({ waitUntil: 'load' }), this.submit(form)]);
  }

  /** The form whose action ends with `suffix`. */
  form(suffix) {
    return this.page.locator(`form[action$="${suffix}"]`).first();
  }

  async logout() {
    const f = this.page.locator('form[action="/logout"]').first();
    await this.submitAndWait(f);
  }

  async cookies() {
    return this.ctx.cookies();
  }

  async close() {
    await this.ctx.close();
  }

  /**
   * Follow a job page (/jobs/<id>, refreshing itself) until it is done: the
   * page offers a link (a review, a case) or a file download. Returns the url.
   */
  async waitJob(timeoutMs = 180000) {
    const t0 = Date.now();
    for (;;) {
      const url = this.page.url();
      if (!/\/jobs\/[^/]+$/.test(new URL(url).pathname)) return url;
      // a running job's page shows a <progress> and refreshes itself; a finished one does not
      const running = await this.page.locator('progress').count().catch(() => 1);
      if (!running) return url;
      if (Date.now() - t0 > timeoutMs) throw new AssertionError(`job not done after ${timeoutMs} ms: ${url}`);
      await this.page.waitForTimeout(1000);
      try {
        await this.page.goto(url, { waitUntil: 'load' });
      } catch (e) {
        // the page's own refresh may be navigating at the same moment
        await this.page.waitForLoadState('load').catch(() => {});
      }
    }
  }
}
