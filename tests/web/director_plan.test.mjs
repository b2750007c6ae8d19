// The director approves a retention plan made beforehand by the archivist
// with the command line; a wrong credential is refused first; the slip
// (bordereau) opens.
import { assert, assertEqual, CRED } from './lib.mjs';

export default async function ({ session, archive }) {
  const plan = archive.js('--as', 'archiv', 'sweep', 'plan');
  assertEqual(plan.state, 'planned');
  const s = await session('director');
  const { page } = s;
  await s.login('directrice');
  await s.goto('/plans');
  const link = page.locator(`a[href="/plans/${plan.id}"]`).first();
  assert(await link.count(), 'the plan is not listed on /plans');
  await s.check('plans');
  await Promise.all([page.waitForNavigation(), link.click()]);
  await s.check('plan');
  const body = await page.locator('body').innerText();
  assert(body.includes('ASE-31-2012-00008'), 'the plan page does not list its cases');

  // a wrong credential: refused, still planned
  let form = s.form(`/plans/${plan.id}/approve`);
  await form.locator('[name="credential"]').fill('pas la bonne phrase');
  s.allowed = [/Failed to load resource: the server responded with a status of 4\d\d/];
  await s.submitAndWait(form);
  s.allowed = [];
  assertEqual(archive.js('sweep', 'show', plan.id).state, 'planned', 'approved with a wrong credential');
  await s.check('wrong-credential');
  await s.goto(`/plans/${plan.id}`);
  form = s.form(`/plans/${plan.id}/approve`);
  await form.locator('[name="credential"]').fill(CRED);
  await s.submitAndWait(form);
  await s.check('approved');
  const after = archive.js('sweep', 'show', plan.id);
  assertEqual(after.state, 'approved', 'plan state after approval');
  assertEqual(after.approver, 'directrice', 'approver');
  const resp = await s.goto(`/plans/${plan.id}/slip.html`);
  assertEqual(resp.status(), 200, 'slip');
  await s.check('slip');
}
