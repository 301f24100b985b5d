import { runRouteTests } from './route-suite.js';

// The route tests against a Redis Cluster of 3 masters and 3 replicas.
await runRouteTests('cluster');
