/**
 * The dashboard on the manager's HTTP face (`manager.listen`): the page at `/`, its
 * script and style, the state as JSON (`/dashboard/state`) and live
 * (`/dashboard/stream`, Server-Sent Events). Read-only.
 *
 * On loopback anyone on the machine may look. On any other address the operator's
 * token is required (manager/listener-access.ts): as `Authorization: Bearer`, or
 * through the login form, which sets a cookie holding a session (random, kept here for
 * SESSION_MS), never the token itself: HttpOnly, SameSite=Strict, and Secure when the
 * listener speaks TLS. Without either: 401 and nothing else, not even the page's shell.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DashboardFeed } from './dashboard-feed.js';
import { sameToken } from '../host/listener-access.js';

export interface DashboardAccess {
  /** undefined: no token asked (a loopback listen). */
  token: string | undefined;
  /** The listener speaks TLS: the session cookie is Secure. */
  secure?: boolean;
}

/** How long a login lasts. */
export const SESSION_MS = 12 * 3_600_000;

/** Logins: a random id per login, with when it ends. */
class Sessions {
  private readonly ends = new Map<string, number>();

  open(now = Date.now()): string {
    for (const [id, end] of this.ends) if (end <= now) this.ends.delete(id);
    const id = randomBytes(32).toString('base64url');
    this.ends.set(id, now + SESSION_MS);
    return id;
  }

  valid(id: string | undefined, now = Date.now()): boolean {
    const end = id === undefined ? undefined : this.ends.get(id);
    return end !== undefined && end > now;
  }
}

const ASSETS: Record<string, string> = {
  '/': 'index.html',
  '/dashboard/app.js': 'app.js',
  '/dashboard/app.css': 'app.css',
};
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
const COOKIE = 'micado_dashboard';
/** The page needs nothing from elsewhere: no script, style or connection off this origin. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The built page (dist/dashboard), beside the bundle this module is part of (dist/bin). */
export function dashboardAssetsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboard');
}

export function dashboardHandler(feed: DashboardFeed, access: DashboardAccess, assetsDir: string) {
  const cache = new Map<string, Buffer>();
  const asset = (file: string) => {
    let body = cache.get(file);
    if (!body) cache.set(file, (body = readFileSync(join(assetsDir, file))));
    return body;
  };

  const sessions = new Sessions();
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    if (path === '/dashboard/login') return login(request, response, access, sessions);
    const known = path in ASSETS || path === '/dashboard/state' || path === '/dashboard/stream';
    if (!known) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    if (!allowed(request, access, sessions)) {
      if (path === '/') return loginForm(response, false);
      response
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
        .end("the dashboard needs the operator's token: see manager.dashboardTokenFile\n");
      return true;
    }
    if (path === '/dashboard/state') {
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(await feed.state());
      return true;
    }
    if (path === '/dashboard/stream') {
      await feed.attach(response);
      return true;
    }
    const file = ASSETS[path]!;
    response
      .writeHead(200, {
        'content-type': TYPES[file.split('.').pop()!]!,
        'cache-control': 'no-cache',
        ...SECURITY_HEADERS,
      })
      .end(request.method === 'HEAD' ? undefined : asset(file));
    return true;
  };
}

function allowed(request: IncomingMessage, access: DashboardAccess, sessions: Sessions): boolean {
  if (access.token === undefined) return true;
  const session = (request.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim().split('='))
    .find(([name]) => name === COOKIE)?.[1];
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  return sessions.valid(session) || sameToken(bearer, access.token);
}

/** POST /dashboard/login (form field `token`): a cookie for the page, then back to it. */
async function login(
  request: IncomingMessage,
  response: ServerResponse,
  access: DashboardAccess,
  sessions: Sessions,
): Promise<boolean> {
  if (request.method !== 'POST') {
    response.writeHead(405, { allow: 'POST' }).end();
    return true;
  }
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 4096) break;
  }
  const given = new URLSearchParams(body).get('token') ?? '';
  if (access.token === undefined || !sameToken(given, access.token)) return loginForm(response, true); // prettier-ignore
  const secure = access.secure ? '; Secure' : '';
  response
    .writeHead(303, {
      location: '/',
      'set-cookie': `${COOKIE}=${sessions.open()}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}${secure}`,
    })
    .end();
  return true;
}

function loginForm(response: ServerResponse, wrong: boolean): boolean {
  response.writeHead(401, { 'content-type': TYPES.html!, ...SECURITY_HEADERS }).end(
    `<!doctype html><meta charset="utf-8"><title>micado</title>
<form method="post" action="/dashboard/login" style="font:16px system-ui;margin:4em auto;width:22em">
<p>The micado dashboard needs the operator's token (the file named by <code>manager.dashboardTokenFile</code>, STATE_DIR/dashboard.token unless set).</p>
${wrong ? '<p style="color:#b00">That is not the token.</p>' : ''}
<input name="token" type="password" autocomplete="current-password" style="width:100%" autofocus>
<p><button>Open the dashboard</button></p></form>`,
  );
  return true;
}
