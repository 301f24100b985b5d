// Physical limits measured on this machine in this run: RS256 signatures per second (node:crypto, one
// worker per core) and argon2id verifications per second (@node-rs/argon2 on the thread pool, as many at
// once as cores). Usage: node bench/raw-rates.mjs SECONDS  → prints {"rs256": n, "argon2": n}
import { availableParallelism } from 'node:os';
import { generateKeyPairSync, sign } from 'node:crypto';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { hash, verify } from '@node-rs/argon2';

const seconds = Number(process.argv[2] ?? 3);
const cores = availableParallelism();

if (!isMainThread) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const input = Buffer.from('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9');
  const until = Date.now() + workerData.seconds * 1000;
  let count = 0;
  while (Date.now() < until) {
    sign('sha256', input, privateKey);
    count += 1;
  }
  parentPort.postMessage(count);
} else {
  const signatures = await Promise.all(
    Array.from({ length: cores }, () => new Promise((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { seconds } });
      worker.once('message', resolve);
      worker.once('error', reject);
    })),
  );
  const rs256 = signatures.reduce((a, b) => a + b, 0) / seconds;
  const params = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };
  const stored = await hash('correct horse battery', params);
  let verified = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: cores }, async () => {
    while (Date.now() < until) {
      await verify(stored, 'correct horse battery');
      verified += 1;
    }
  }));
  process.stdout.write(`${JSON.stringify({ rs256, argon2: verified / seconds })}\n`);
}
