// Physical limits measured on this machine in this run: RS256 or ES256 signatures per second (node:crypto, one
// worker per core; RSA-2048 and P-256, as the service's keys) or argon2id verifications per second
// (@node-rs/argon2 on the thread pool, as many at once as cores).
// Usage: node bench/raw-rates.mjs rs256|es256|argon2 SECONDS  → prints {"count": n, "seconds": s}
import { availableParallelism } from 'node:os';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { hash, verify } from '@node-rs/argon2';

const which = process.argv[2];
const seconds = Number(process.argv[3] ?? 3);
const cores = availableParallelism();

if (!isMainThread) {
  // Every worker signs over the same window, so none has a core to itself while another starts up.
  const privateKey = createPrivateKey(workerData.pem);
  const key = workerData.ec ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey;
  const input = Buffer.from('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, workerData.startAt - Date.now()));
  const until = workerData.startAt + workerData.seconds * 1000;
  let count = 0;
  while (Date.now() < until) {
    sign('sha256', input, key);
    count += 1;
  }
  parentPort.postMessage(count);
} else if (which === 'rs256' || which === 'es256') {
  const ec = which === 'es256';
  const pair = ec ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const startAt = Date.now() + 300;
  const signatures = await Promise.all(
    Array.from(
      { length: cores },
      () =>
        new Promise((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { seconds, pem, startAt, ec } });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  process.stdout.write(`${JSON.stringify({ count: signatures.reduce((a, b) => a + b, 0), seconds })}\n`);
} else {
  const params = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };
  const stored = await hash('correct horse battery', params);
  let verified = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: cores }, async () => {
      while (Date.now() < until) {
        await verify(stored, 'correct horse battery');
        // Counted only when done within the window, as the load generator counts the service's answers.
        if (Date.now() <= until) verified += 1;
      }
    }),
  );
  process.stdout.write(`${JSON.stringify({ count: verified, seconds })}\n`);
}
