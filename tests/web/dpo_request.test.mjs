// The DPO takes an access request from open to fulfilled in the browser:
// open (form) -> identity check -> decision confirmed with her credential ->
// fulfilment; each state checked against the command line's --json.
import fs from 'node:fs';
import path from 'node:path';
import { assert, assertEqual, CRED, isoDaysAgo } from './lib.mjs';

async function fillIfPresent(page, selector, value) {
  const l = page.locator(selector).first();
  if (!(await l.count())) return false;
  const tag = await l.evaluate((e) => e.tagName.toLowerCase() + (e.type ? ':' + e.type : ''));
  if (tag.startsWith('select')) await l.selectOption(value);
  else await l.fill(value);
  return true;
}

export default async function ({ session, archive, artefacts }) {
  const caseId = archive.caseId('ASE-31-2016-00042');
  const before = archive.js('request', 'list', { user: 'dpo' }).length;
  const s = await session('dpo');
  const { page } = s;
  await s.login('dpo');
  await s.goto('/requests');
  await s.check('register-empty');
  await s.goto('/requests/new');
  await s.check('new-request-form');
  const form = page.locator('form[action="/requests"]').first();
  await form.locator('[name="type"]').selectOption('access');
  assert(await fillIfPresent(page, 'form[action="/requests"] [name="case"]', caseId), 'no case field');
  assert(await fillIfPresent(page, 'form[action="/requests"] [name="subject"]', 'p1'), 'no subject field');
  await fillIfPresent(page, 'form[action="/requests"] [name="received"]', isoDaysAgo(2));
  await fillIfPresent(page, 'form[action="/requests"] [name="channel"]', 'courrier');
  await fillIfPresent(page, 'form[action="/requests"] [name="note"]', 'Demande reçue par courrier recommandé.');
  await s.submitAndWait(form);
  const m = new URL(page.url()).pathname.match(/^\/requests\/([A-Za-z0-9._-]+)$/);
  assert(m, `not on the request's page after opening it: ${page.url()}`);
  const id = m[1];
  await s.check('opened');
  let cli = archive.js('request', 'show', id, { user: 'dpo' });
  assertEqual(cli.state, 'open', 'state after opening');
  assertEqual(archive.js('request', 'list', { user: 'dpo' }).length, before + 1, 'one request opened');

  // identity check
  const idf = s.form(`/requests/${id}/identity`);
  await idf.locator('[name="method"]').fill("pièce d'identité présentée au guichet");
  await s.submitAndWait(idf);
  await s.check('identity-checked');
  cli = archive.js('request', 'show', id, { user: 'dpo' });
  assert(cli.identity_verified || cli.identity || cli.identity_method, `identity not recorded: ${JSON.stringify(cli)}`);

  // decision, confirmed with the credential; a wrong credential first: refused, nothing decided
  const dec = s.form(`/requests/${id}/decide`);
  const grant = dec.locator('[name="decision"][value="grant"]');
  if (await grant.count()) await grant.check();
  else await dec.locator('[name="decision"]').selectOption('grant');
  await dec.locator('[name="ground"]').fill('RGPD art. 15');
  await dec.locator('[name="credential"]').fill('pas la bonne phrase');
  s.allowed = [/Failed to load resource: the server responded with a status of 4\d\d/];
  await s.submitAndWait(dec);
  s.allowed = [];
  cli = archive.js('request', 'show', id, { user: 'dpo' });
  assert(!cli.decision, `decided with a wrong credential: ${JSON.stringify(cli.decision)}`);
  await s.check('wrong-credential-refused');
  await s.goto(`/requests/${id}`);
  const dec2 = s.form(`/requests/${id}/decide`);
  const grant2 = dec2.locator('[name="decision"][value="grant"]');
  if (await grant2.count()) await grant2.check();
  else await dec2.locator('[name="decision"]').selectOption('grant');
  await dec2.locator('[name="ground"]').fill('RGPD art. 15');
  await dec2.locator('[name="credential"]').fill(CRED);
  await s.submitAndWait(dec2);
  await s.check('decided');
  cli = archive.js('request', 'show', id, { user: 'dpo' });
  assertEqual(cli.state, 'decided', 'state after the decision');

  // fulfilment with the credential: for an access request, the copy to send
  const ful = s.form(`/requests/${id}/fulfil`);
  await ful.locator('[name="credential"]').fill(CRED);
  await s.submitAndWait(ful);
  if (/\/jobs\//.test(page.url())) {
    await s.waitJob();
    await s.check('fulfil-job-done');
    // the copy to hand over
    const link = page.locator('a[href^="/jobs/"][href$="/file"]').first();
    assert(await link.count(), `no copy to download: ${(await page.locator('body').innerText()).slice(0, 500)}`);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const out = path.join(artefacts, 'dpo-copie-acces.zip');
    await download.saveAs(out);
    assertEqual(fs.readFileSync(out).readUInt32LE(0), 0x04034b50, 'the access copy is not a zip');
    await Promise.all([page.waitForNavigation(), page.locator(`a[href^="/requests/${id}"]`).first().click()]);
  }
  await s.check('fulfilled');
  cli = archive.js('request', 'show', id, { user: 'dpo' });
  assertEqual(cli.state, 'fulfilled', 'state after fulfilment');
  const body = await page.locator('body').innerText();
  assert(/réalisée/i.test(body), `the page does not say the request is fulfilled: ${body.slice(0, 500)}`);
  // the register shows it in its new state
  await s.goto('/requests?state=fulfilled');
  assert((await page.locator(`a[href="/requests/${id}"]`).count()) >= 1, 'the fulfilled request is not in the register filtered on state=fulfilled');
  await s.check('register-fulfilled');
  const j = archive.journal().filter((e) => e.object.includes(id) || e.object.includes(`request:${id}`));
  for (const act of ['request.open', 'request.verify_identity', 'request.decide', 'request.fulfil']) {
    assert(j.some((e) => e.action === act && e.actor === 'dpo' && e.outcome === 'ok'), `${act} by dpo not journaled`);
  }
}
