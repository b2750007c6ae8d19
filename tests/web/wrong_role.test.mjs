// A wrong role: the MAFT officer on the DPO register gets a 403 page in
// French (and the menu does not offer it); the refusal is journaled.
import { assert, assertEqual } from './lib.mjs';

export default async function ({ session, archive }) {
  const s = await session('wrong-role');
  const { page } = s;
  await s.login('maft');
  await s.check('maft-home');
  assertEqual(await page.locator('a[href="/requests"]').count(), 0, 'the MAFT menu offers the register');
  const seq = archive.journal().at(-1).seq;
  // Chromium logs the document's 403 on the console: expected here
  s.allowed = [/Failed to load resource: the server responded with a status of 403/];
  const resp = await s.goto('/requests');
  assertEqual(resp.status(), 403, 'maft on /requests');
  const text = await page.locator('body').innerText();
  assert(/accès refusé|n'avez pas|non autorisé|pas autorisé|interdit|refusé/i.test(text), `403 page not in French: ${text.slice(0, 300)}`);
  assert(!/forbidden|access denied/i.test(text), `English on the 403 page: ${text.slice(0, 300)}`);
  await s.check('maft-refused');
  s.allowed = [];
  const denied = archive.journal().filter((e) => e.seq > seq && e.actor === 'maft' && e.outcome === 'denied');
  assert(denied.length >= 1, 'the refusal is not journaled');
  // the DPO is allowed
  const d = await session('wrong-role-dpo');
  await d.login('dpo');
  const ok = await d.goto('/requests');
  assertEqual(ok.status(), 200, 'dpo on /requests');
  await d.check('dpo-allowed');
}
