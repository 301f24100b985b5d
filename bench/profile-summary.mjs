// Summarizes a V8 .cpuprofile: the functions with the most self time. Usage: node bench/profile-summary.mjs FILE [N]
import { readFileSync } from 'node:fs';

const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const top = Number(process.argv[3] ?? 25);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfTime = new Map();
const deltas = profile.timeDeltas;
profile.samples.forEach((id, index) => {
  const node = byId.get(id);
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|dist)\//, '$1/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  selfTime.set(key, (selfTime.get(key) ?? 0) + (deltas[index] ?? 0));
});
const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
for (const [name, micros] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  process.stdout.write(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}\n`);
}
