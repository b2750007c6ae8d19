// Logout: the button ends the session; the back button or a replayed cookie
// opens nothing.
import { assert, assertEqual } from './lib.mjs';

export default async function ({ session, svc }) {
  const s = await session('logout');
  const { page } = s;
  await s.login('dpo');
  await s.goto('/requests');
  await s.check('before-logout');
  const old = (await s.cookies()).find((c) => c.name === 'cv_session');
  assert(old, 'no session cookie');
  await s.logout();
  assertEqual(new URL(page.url()).pathname, '/login', 'logout leads to /login');
  await s.check('after-logout');
  assert(!(await s.cookies()).some((c) => c.name === 'cv_session' && c.value), 'the cookie survives logout');
  await s.goto('/requests');
  assertEqual(new URL(page.url()).pathname, '/login', 'a page after logout sends to /login');
  await s.check('page-after-logout');
  // the old session id, replayed, is dead on the server
  const r = await fetch(`${svc.base}/api/v1/session`, { headers: { Cookie: `cv_session=${old.value}` }, redirect: 'manual' });
  assertEqual(r.status, 401, 'the old session id after logout');
}
