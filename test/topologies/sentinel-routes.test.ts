import { runRouteTests } from './route-suite.js';

// The route tests against a master and a replica behind three sentinels.
await runRouteTests('sentinel');
