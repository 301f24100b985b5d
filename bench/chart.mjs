// An SVG bar chart of the benchmark ratios against their targets, rendered from the results JSON.
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** Renders one horizontal bar per ratio, with its target marked; green when met, red when not. */
export function renderChart(summary) {
  const entries = Object.entries(summary.ratios);
  const width = 760;
  const rowHeight = 34;
  const left = 260;
  const scaleMax = Math.max(...entries.map(([key, value]) => Math.max(value, summary.targets[key])), 1) * 1.1;
  const x = (value) => left + (value / scaleMax) * (width - left - 60);
  const rows = entries.map(([key, value], index) => {
    const y = 50 + index * rowHeight;
    const target = summary.targets[key];
    const color = value >= target ? '#2e7d32' : '#c62828';
    return [
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end" font-size="12">${escape(key.replaceAll('_', ' '))}</text>`,
      `<rect x="${left}" y="${y}" width="${x(value) - left}" height="20" fill="${color}"/>`,
      `<line x1="${x(target)}" x2="${x(target)}" y1="${y - 3}" y2="${y + 23}" stroke="#000" stroke-width="2"/>`,
      `<text x="${x(value) + 6}" y="${y + 15}" font-size="12">${value.toFixed(2)} (target ${target})</text>`,
    ].join('');
  });
  const height = 70 + entries.length * rowHeight;
  const title = `${escape(summary.machine.cpu)}, ${summary.machine.cores} cores, Node ${escape(summary.machine.node)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/><text x="10" y="24" font-size="14">tokensmith ratios (bar) vs targets (line): ${title}</text>${rows.join('')}</svg>\n`;
}
