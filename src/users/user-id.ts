import { randomUUID } from 'node:crypto';

/** The shape of every user id: a UUID (RFC 9562), any letter case. What has it is read as a user id, nothing else. */
export const USER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A new user id: a random UUID, the shape USER_ID_PATTERN describes. */
export function newUserId(): string {
  return randomUUID();
}
