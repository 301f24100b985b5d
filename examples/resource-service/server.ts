/** Runs the example resource service: ISSUER, AUDIENCE and PORT from the environment. */
import { buildResourceService } from './app.js';

const app = await buildResourceService({ issuer: process.env.ISSUER ?? 'http://localhost:3000', audience: process.env.AUDIENCE ?? 'api' });
await app.listen({ port: Number(process.env.PORT ?? 4000), host: process.env.HOST ?? '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
