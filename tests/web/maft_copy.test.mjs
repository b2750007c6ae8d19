// The MAFT officer: a search with accents folded (LEROY / francois finds
// Leroy François), the case, a communication copy prepared as a job, the
// review page (one choice per mention), one decision changed, the corrected
// copy made as a job and downloaded: a zip. The correction is journaled.
import fs from 'node:fs';
import path from 'node:path';
import { assert, assertEqual } from './lib.mjs';

function isZip(file) {
  const b = fs.readFileSync(file);
  return b.length > 22 && b.readUInt32LE(0) === 0x04034b50 && b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) > 0;
}

export default async function ({ session, archive, artefacts }) {
  const caseId = archive.caseId('ASE-31-2016-00042');
  const s = await session('maft');
  const { page } = s;
  await s.login('maft');
  await s.goto('/find');
  await s.check('find-form');
  const f = page.locator('form:has([name="last"])').first();
  await f.locator('[name="last"]').fill('LEROY');
  await f.locator('[name="first"]').fill('francois');
  if (await f.locator('[name="born"]').count()) await f.locator('[name="born"]').fill('2009-03-12');
  await s.submitAndWait(f);
  assert(page.url().includes('/find?'), `the search is a GET on /find: ${page.url()}`);
  const hit = page.locator(`a[href^="/cases/${caseId}"]`);
  assert((await hit.count()) >= 1, 'LEROY/francois does not find the case of Leroy François');
  await s.check('find-results');
  await Promise.all([page.waitForNavigation(), hit.first().click()]);
  assertEqual(new URL(page.url()).pathname, `/cases/${caseId}`);
  assert((await page.locator('body').innerText()).includes('François'), 'the case page does not show the accented name');
  await s.check('case');

  // prepare the copy for the child (p1), for an access to the file (CRPA)
  const cf = s.form(`/cases/${caseId}/copy`);
  await cf.locator('select[name="requester"]').selectOption('p1');
  const purpose = cf.locator('input[type="radio"][name="purpose"][value="maft"]');
  if (await purpose.count()) await purpose.check();
  await s.check('copy-form');
  await s.submitAndWait(cf);
  await s.check('copy-job');
  await s.waitJob();
  if (/\/jobs\//.test(page.url())) {
    const link = page.locator('a[href^="/reviews/"]').first();
    assert(await link.count(), `the job offers no review: ${(await page.locator('body').innerText()).slice(0, 500)}`);
    await Promise.all([page.waitForNavigation(), link.click()]);
  }
  assert(/\/reviews\/[A-Za-z0-9._-]+$/.test(new URL(page.url()).pathname), `not on a review page: ${page.url()}`);
  await s.check('review');

  // one choice per mention (radio groups decision-<mention>); change one
  // group's decision to unmask or mask, give the mentions "to check" a decision
  const reviewPath = new URL(page.url()).pathname;
  const rf = s.form(reviewPath);
  const radios = rf.locator('input[type="radio"][name^="decision-"]');
  assert((await radios.count()) >= 2, 'no radio choices on the review page');
  const groups = await radios.evaluateAll((els) => {
    const g = {};
    for (const e of els) (g[e.name] ||= []).push({ value: e.value, checked: e.checked });
    return g;
  });
  const names = Object.keys(groups);
  let changed = null;
  for (const name of names) {
    const opts = groups[name];
    const cur = opts.find((o) => o.checked);
    if (!changed) {
      const other = opts.find((o) => !o.checked && (o.value === 'unmask' || o.value === 'mask'));
      if (other) {
        await rf.locator(`input[type="radio"][name="${name}"][value="${other.value}"]`).check();
        changed = { name, from: cur && cur.value, to: other.value };
        continue;
      }
    }
    if (!cur) await rf.locator(`input[type="radio"][name="${name}"]`).first().check();
  }
  assert(changed, 'no decision could be changed');
  await s.check('review-changed');
  const seq = archive.journal().at(-1).seq;
  await s.submitAndWait(rf);
  await s.check('final-job');
  await s.waitJob();
  const fileLink = page.locator('a[href^="/jobs/"][href$="/file"]').first();
  assert(await fileLink.count(), `no download of the corrected copy: ${(await page.locator('body').innerText()).slice(0, 500)}`);
  await s.check('final-ready');
  const [download] = await Promise.all([page.waitForEvent('download'), fileLink.click()]);
  const out = path.join(artefacts, 'maft-copie-corrigee.zip');
  await download.saveAs(out);
  assert(fs.existsSync(out) && fs.statSync(out).size > 100, 'the corrected copy was not downloaded');
  assert(isZip(out), 'the download is not a zip');
  assert(/\.zip$/i.test(download.suggestedFilename()), `download name ${download.suggestedFilename()}`);
  const j = archive.journal().filter((e) => e.seq > seq && e.actor === 'maft');
  assert(j.some((e) => e.action === 'case.export.correct' && e.object.includes(`decision:${changed.to}`)),
    `the correction (${changed.to}) is not journaled: ${JSON.stringify(j.map((e) => [e.action, e.object]))}`);
  assert(j.some((e) => e.action === 'case.export' && e.outcome === 'ok'), 'the final copy is not journaled');
}
