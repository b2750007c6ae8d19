// No console error on a page, including the one the browser makes by itself:
// it asks for /favicon.ico unless the page names an icon, and a 404 there is
// a console error on every visit. (The other tests set that error aside so
// that it is reported here, once.)
import { assert } from './lib.mjs';

export default async function ({ session }) {
  const s = await session('favicon');
  await s.goto('/login');
  await s.page.waitForTimeout(1000);
  await s.check('login');
  assert(s.favicon.length === 0, `the browser's icon request fails on every page:\n  ${s.favicon.join('\n  ')}`);
}
