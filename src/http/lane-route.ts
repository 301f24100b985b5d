import type { IncomingHttpHeaders } from 'node:http';

// What a route declares to the fast lane (fast-lane.ts), in its route configuration (`config: { lane }`): the lane
// answers the requests the route would answer exactly so, and the route never imports the lane itself.

/** An answer the lane writes as it is: a route's own headers and body, before the service's response headers. */
export interface LaneAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** A route the lane may answer: a GET of a path it matches, when the answer needs no waiting and no failure. */
export interface LaneRoute {
  /** The route's pattern as Fastify names it: the metrics label. */
  readonly route: string;
  /** Whether a path (without its query) is this route's. */
  matches(path: string): boolean;
  /**
   * The answer the route itself would give, or undefined when only the route can decide (a token not verified
   * before, a failure, an input the lane does not read); throwing means the same.
   */
  answer(query: string, headers: IncomingHttpHeaders): LaneAnswer | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The answers of this route the fast lane may give before Fastify routes the request (http/fast-lane.ts). */
    lane?: LaneRoute;
  }
}
