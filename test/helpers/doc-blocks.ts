import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';

// The shell blocks of a Markdown document, run as a reader pastes them: in one bash session, each command's output
// matched against the `# …` comment the document shows under it.

/** The ```sh blocks of a document's section (from its heading to the next heading of the same level). */
export function shellBlocks(markdown: string, heading: string): string[] {
  const level = /^#+/.exec(heading)![0];
  const start = markdown.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const rest = markdown.slice(start + heading.length + 1);
  const end = rest.search(new RegExp(`^${level} `, 'm'));
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** One step of a block: commands, and the output the comment under them shows (none when there is no comment). */
export interface Step {
  commands: string;
  shown?: string;
}

/** A block as steps; a `# ` line ends a step (a comment at the end of a command line is part of the command). */
export function steps(block: string): Step[] {
  const found: Step[] = [];
  let commands: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('# ')) {
      found.push({ commands: commands.join('\n'), shown: line.slice(2) });
      commands = [];
    } else if (line.trim() !== '') commands.push(line);
  }
  if (commands.length > 0) found.push({ commands: commands.join('\n') });
  return found;
}

/**
 * The shown output as a pattern of the whole output: literal, where `…` stands for what differs between runs: inside
 * a string (`"eyJ…"`, `"6f1c…"`) the rest of that string, elsewhere (`"created_at":…,`, `{"client_id":"ops",…}`) anything.
 */
export function shownPattern(shown: string): RegExp {
  const escaped = shown.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/"[^"…]*…"/g, '"[^"]*?"').replace(/…/g, '.*?')}$`);
}

/** Runs steps in one `bash -euo pipefail` session in `cwd` (this Node first on PATH); answers each step's output. */
export function runSteps(all: Step[], cwd: string, rewrite: (commands: string) => string): { status: number | null; stderr: string; outputs: string[] } {
  const marker = '@@end of step@@';
  const script = ['set -euo pipefail', ...all.map((step) => `${rewrite(step.commands)}\nprintf '\\n%s\\n' '${marker}'`)].join('\n');
  const run = spawnSync('bash', ['-c', script], {
    cwd,
    encoding: 'utf8',
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp' },
    timeout: 60_000,
  });
  return { status: run.status, stderr: run.stderr, outputs: run.stdout.split(`\n${marker}\n`).map((output) => output.trim()) };
}
