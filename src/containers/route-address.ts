/**
 * Where a container is reached through the proxy: a domain (a host name) and, when it
 * shares the domain, a path prefix. The rules launch checks and the proxy's routes
 * trust alike; nothing else reaches nginx's configuration. No imports: the route
 * agent's bundle carries this file alone.
 */

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** Segments of unreserved URL characters; `.` and `..` are no segment of a prefix. */
const PATH = /^(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9._~-]+)+$/;

/** A host name, in any case (domains are served in lower case). */
export const isHostName = (text: string) => HOST_NAME.test(text.toLowerCase());

/** A path prefix as a route holds it: `/api`, no trailing slash, at most 200 characters. */
export const isRoutePath = (path: string) => path.length <= 200 && PATH.test(path);

/** A prefix as typed (`/api/`) as routes compare it (`/api`); undefined for the whole domain. */
export function routePath(path: string | undefined): string | undefined {
  if (path === undefined || path === '/') return undefined;
  return path.replace(/\/$/, '');
}
