import { checkDpopProof, dpopChallenge, DpopProofError, DPOP_PROOF_WINDOW, type CheckedProof } from '@tokensmith/verifier/shared';
import { ServiceError } from '../errors.js';
import type { ReplayStore } from '../store/types.js';
import type { DpopNonces } from './dpop-nonces.js';

/** Who checks a proof: the token endpoint (400 errors, its nonce) or a resource (401 with a DPoP challenge, §7.1). */
export type ProofCheckpoint = 'token_endpoint' | 'resource';

/** The request a proof comes with: its method, its URL as the client sent it, and the access token beside it. */
export interface ProofTarget {
  method: string;
  url: string;
  accessToken?: string;
}

/** What checking proofs works with. */
export interface DpopProofDependencies {
  /** Where each proof's jti is marked used, across every instance. */
  replays: ReplayStore;
  /** The server nonces (DPOP_NONCE_KEY); undefined when none is asked for. */
  nonces: DpopNonces | undefined;
  /** The algorithms a proof may be signed with (DPOP_ALGORITHMS, narrowed by the security profile). */
  algorithms: readonly string[];
  /** Epoch milliseconds. */
  clock: () => number;
}

/**
 * The service's check of a DPoP proof (RFC 9449 §4.3): the proof itself (checkDpopProof, shared with the verifier
 * library), then at the token endpoint the server nonce when one is asked for (§8), and last the `jti`, used once
 * across every instance while the proof could still be accepted (§11.1), so only a proof that passed everything
 * else uses up its jti.
 */
export class DpopProofs {
  constructor(private readonly deps: DpopProofDependencies) {}

  /** The algorithms a proof may be signed with: `dpop_signing_alg_values_supported`. */
  get algorithms(): readonly string[] {
    return this.deps.algorithms;
  }

  /** Whether token requests must carry the server's nonce. */
  get noncesRequired(): boolean {
    return this.deps.nonces !== undefined;
  }

  /** The nonce to hand out with a token endpoint's answer, when nonces are asked for. */
  nonceHeader(): Record<string, string> {
    return this.deps.nonces === undefined ? {} : { 'dpop-nonce': this.deps.nonces.current() };
  }

  /** The checked proof of a request's `DPoP` header; undefined when it has none. Refusals are ServiceErrors. */
  async check(header: string | string[] | undefined, target: ProofTarget, at: ProofCheckpoint): Promise<CheckedProof | undefined> {
    if (header === undefined) return undefined;
    // §4.3 item 1: one DPoP header, one JWT (Node joins repeated headers with a comma, which no JWS holds).
    if (Array.isArray(header) || header.includes(',')) throw this.refusal(at, 'invalid_dpop_proof', 'send exactly one DPoP proof');
    const now = Math.floor(this.deps.clock() / 1000);
    let proof: CheckedProof;
    try {
      proof = await checkDpopProof(header.trim(), { ...target, now }, this.deps.algorithms);
    } catch (error) {
      if (error instanceof DpopProofError) throw this.refusal(at, 'invalid_dpop_proof', error.message);
      throw error;
    }
    if (at === 'token_endpoint' && this.deps.nonces !== undefined && !this.deps.nonces.accepts(proof.nonce)) {
      throw this.refusal(at, 'use_dpop_nonce', 'the DPoP proof must carry the nonce this server gives (DPoP-Nonce)');
    }
    if (!(await this.deps.replays.firstUse(`dpop:${proof.jkt}:${proof.jti}`, 2 * DPOP_PROOF_WINDOW))) {
      throw this.refusal(at, 'invalid_dpop_proof', 'the DPoP proof was used already');
    }
    return proof;
  }

  /** A refusal as the checkpoint answers it: 400 at the token endpoint (§5), 401 with a DPoP challenge at a resource (§7.1). */
  refusal(at: ProofCheckpoint, code: 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token', description: string): ServiceError {
    if (at === 'token_endpoint') return new ServiceError(code, description, code === 'use_dpop_nonce' ? this.nonceHeader() : {});
    return new ServiceError(code, description, { 'www-authenticate': dpopChallenge(code, description) }, 401);
  }
}
