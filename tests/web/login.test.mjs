// Login: without a session a page sends to /login; a wrong credential stays
// there with a French message; the right one opens a session whose cookie
// is HttpOnly and SameSite=Strict and never readable by scripts.
import { assert, assertEqual, CRED } from './lib.mjs';

export default async function ({ session }) {
  const s = await session('login');
  const { page } = s;
  await s.goto('/requests');
  assertEqual(new URL(page.url()).pathname, '/login', 'a page without a session sends to /login');
  await s.check('login-page');

  // Chromium reports the 4xx answer of a failed login on the console: that one is expected
  s.allowed = [/Failed to load resource: the server responded with a status of 4\d\d/];
  await page.fill('[name="user"]', 'dpo');
  await page.fill('[name="credential"]', 'pas la bonne phrase');
  const [bad] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
    s.submit(page.locator('form:has([name="credential"])'))]);
  assertEqual(new URL(page.url()).pathname, '/login', 'a wrong credential stays on /login');
  const body = await page.locator('body').innerText();
  assertEqual(bad.status(), 401, `a wrong credential: ${body.replace(/\s+/g, ' ').slice(0, 300)}`);
  assert(/incorrect/i.test(body), `no French "incorrect" message after a wrong credential: ${body.slice(0, 400)}`);
  assert(await page.locator('form [name="credential"]').count(), 'the login form is not shown again');
  assertEqual((await s.ctx.request.get('/api/v1/session')).status(), 401, 'a session after a failed login');
  await s.check('wrong-credential');
  s.allowed = [];

  await s.login('dpo', CRED);
  assert(new URL(page.url()).pathname !== '/login', `still on /login after a good login: ${page.url()}`);
  const cookie = (await s.cookies()).find((c) => c.name === 'cv_session');
  assert(cookie, 'no cv_session cookie');
  assert(cookie.httpOnly, 'cv_session is not HttpOnly');
  assertEqual(cookie.sameSite, 'Strict', 'cv_session SameSite');
  assertEqual(await page.evaluate(() => document.cookie.includes('cv_session')), false, 'the session cookie is readable by scripts');
  const text = await page.locator('body').innerText();
  assert(text.includes('dpo'), 'the header does not show the logged-in user');
  assert(await page.locator('form[action="/logout"]').count(), 'no logout button');
  await s.check('logged-in');
  // the register is reachable from the menu
  await Promise.all([page.waitForNavigation(), page.locator('nav a[href="/requests"], header a[href="/requests"]').first().click()]);
  assertEqual(new URL(page.url()).pathname, '/requests');
  await s.check('register');
}
