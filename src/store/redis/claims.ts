import type { Durable, ScriptClient } from './commands.js';
import type { USER_SCRIPTS } from './users.js';

/** How many times a claim is tried when it vanishes or goes stale between two looks. */
const CLAIM_ATTEMPTS = 3;

/**
 * Claims a key for a user (SET NX): something only one account may hold, such as a passkey's credential id or an
 * upstream identity. The claim is written before the owner's own record, so a crash between the two leaves a stale
 * claim, never a record nobody can reach: a claim whose owner does not hold the thing (`holds` says) is taken over,
 * by compare-and-set. False when another account holds it.
 */
export async function claimFor(
  client: ScriptClient<typeof USER_SCRIPTS>,
  durable: Durable,
  claim: string,
  userId: string,
  holds: (owner: string) => Promise<boolean>,
): Promise<boolean> {
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    if ((await durable([claim], () => client.set(claim, userId, { NX: true }))) === 'OK') return true;
    const owner = await client.get(claim);
    if (owner === null) continue;
    if (await holds(owner)) return false;
    if ((await durable([claim], () => client.replaceIfEquals([claim], [owner, userId]))) === 1) return true;
  }
  return false;
}
