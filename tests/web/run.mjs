// The runner of the browser tests: one archive and one service for the run,
// a fresh browser context (no cookies) per test, the tests in a fixed order,
// screenshots of every step under the artefacts directory.
//   node run.mjs --bin BUILD/bin/casevault [--artefacts DIR] [--only NAME[,NAME]] [--chromium PATH]
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Archive, Service, Session, HERE } from './lib.mjs';

const ORDER = ['login', 'dpo_request', 'maft_copy', 'director_plan', 'wrong_role', 'logout', 'favicon'];

function args() {
  const a = { bin: process.env.CV_BIN, artefacts: process.env.CV_WEB_ARTEFACTS, only: null,
    chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '--bin') a.bin = v[++i];
    else if (v[i] === '--artefacts') a.artefacts = v[++i];
    else if (v[i] === '--only') a.only = v[++i].split(',');
    else if (v[i] === '--chromium') a.chromium = v[++i];
    else throw new Error(`unknown argument ${v[i]}`);
  }
  if (!a.bin) throw new Error('--bin BIN (or CV_BIN) is required');
  a.bin = path.resolve(a.bin);
  a.artefacts = path.resolve(a.artefacts || path.join(path.dirname(path.dirname(a.bin)), 'web-artefacts'));
  return a;
}

const opt = args();
fs.rmSync(opt.artefacts, { recursive: true, force: true });
fs.mkdirSync(opt.artefacts, { recursive: true });
const names = ORDER.filter((n) => !opt.only || opt.only.includes(n));
const t0 = Date.now();
let archive;
let svc;
let browser;
const results = [];
try {
  archive = new Archive(opt.bin);
  svc = new Service(archive, path.join(opt.artefacts, 'serve.log'));
  await svc.start();
  console.log(`# service ${svc.base}, archive ${archive.dir}, artefacts ${opt.artefacts}`);
  // as root (CI containers) Chromium refuses to start without --no-sandbox
  const launchArgs = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  browser = await chromium.launch({ executablePath: opt.chromium, headless: true, args: launchArgs });
  console.log(`# chromium ${browser.version()}, playwright-core ${JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', 'playwright-core', 'package.json'))).version}, node ${process.version}`);
  for (const name of names) {
    const mod = await import(`./${name}.test.mjs`);
    const started = Date.now();
    const sessions = [];
    const ctx = {
      archive, svc, browser, artefacts: opt.artefacts,
      session: async (label = name) => {
        const s = await Session.open(browser, label, opt.artefacts, svc.base);
        sessions.push(s);
        return s;
      },
    };
    try {
      await mod.default(ctx);
      results.push({ name, ok: true, ms: Date.now() - started });
      console.log(`ok - ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      results.push({ name, ok: false, ms: Date.now() - started, error: e });
      console.log(`not ok - ${name} (${Date.now() - started} ms)\n  ${String(e.stack || e).split('\n').join('\n  ')}`);
      for (const s of sessions) {
        try {
          await s.page.screenshot({ path: path.join(opt.artefacts, `${s.test}-FAILED.png`), fullPage: true });
        } catch (_) { /* closed */ }
      }
    } finally {
      for (const s of sessions) await s.close().catch(() => {});
    }
  }
} catch (e) {
  console.log(`not ok - setup\n  ${String(e.stack || e).split('\n').join('\n  ')}`);
  results.push({ name: 'setup', ok: false, error: e });
} finally {
  if (browser) await browser.close().catch(() => {});
  const stop = svc ? await svc.stop() : null;
  if (stop && stop.code !== 0) {
    console.log(`not ok - service stop (SIGTERM): exit ${JSON.stringify(stop)}`);
    results.push({ name: 'stop', ok: false });
  }
  if (archive && results.every((r) => r.ok)) archive.remove();
  else if (archive) console.log(`# archive kept for inspection: ${archive.work}`);
}
const failed = results.filter((r) => !r.ok);
console.log(`# ${results.length - failed.length}/${results.length} passed in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${opt.artefacts}`);
process.exit(failed.length ? 1 : 0);
