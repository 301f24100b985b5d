import { oauthError } from '../errors.js';

/** The most items one page of an admin list holds. */
export const PAGE_LIMIT_MAX = 100;
/** The page size when a request names none. */
export const PAGE_LIMIT_DEFAULT = 50;

/** Where a page starts and how long it is, as a list request gives them. */
export interface PageRequest {
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** One page of an admin list: `next_cursor` fetches the next, null on the last page. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

const CURSOR = /^[A-Za-z0-9_-]{1,1024}$/;

/** The cursor of a page that starts after the item whose sort key is `key` (opaque to callers: base64url). */
export function cursorAfter(key: string | undefined): string | null {
  return key === undefined ? null : Buffer.from(key).toString('base64url');
}

/** The sort key a cursor starts after; invalid_request for a cursor this API did not give. */
export function keyOfCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const key = CURSOR.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;
  if (key === undefined || cursorAfter(key) !== cursor) throw oauthError('invalid_request', 'cursor is not one this API gave');
  return key;
}

/** The page size a request asks for, or the default. */
export function pageLimit(request: PageRequest): number {
  return request.limit ?? PAGE_LIMIT_DEFAULT;
}

/** The sort key of an item listed oldest first (epoch seconds), its id breaking ties: byte order is time order. */
export function chronological(at: number, id: string): string {
  return `${String(at).padStart(12, '0')} ${id}`;
}

/** A page of an in-memory list, in the byte order of each item's unique sort key. */
export function pageOf<T>(items: readonly T[], sortKey: (item: T) => string, request: PageRequest): Page<T> {
  const after = keyOfCursor(request.cursor);
  const keyed = items
    .map((item) => ({ item, key: Buffer.from(sortKey(item)) }))
    .filter(({ key }) => after === undefined || Buffer.compare(key, Buffer.from(after)) > 0)
    .sort((a, b) => Buffer.compare(a.key, b.key));
  const page = keyed.slice(0, pageLimit(request));
  const more = keyed.length > page.length;
  return { items: page.map(({ item }) => item), next_cursor: more ? cursorAfter(page.at(-1)!.key.toString('utf8')) : null };
}
