/** Hand-written SVG (no dependency): latency percentiles per rate, and throughput per mode. */
export interface LatencyGroup {
  label: string;
  p50: number;
  p90: number;
  p99: number;
}
export interface ThroughputBar {
  label: string;
  value: number;
}

const COLORS = { p50: '#4e79a7', p90: '#f28e2b', p99: '#e15759', bar: '#59a14f' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v)!;
}

function axis(x: number, y: number, w: number, h: number, max: number, unit: string): string {
  let out = `<line x1="${x}" y1="${y}" x2="${x}" y2="${y + h}" stroke="#333"/><line x1="${x}" y1="${y + h}" x2="${x + w}" y2="${y + h}" stroke="#333"/>`;
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const yy = y + h - (h * i) / 4;
    out += `<line x1="${x}" y1="${yy}" x2="${x + w}" y2="${yy}" stroke="#ddd"/><text x="${x - 6}" y="${yy + 4}" text-anchor="end" font-size="11">${Math.round(v)}${unit}</text>`;
  }
  return out;
}

export function renderChart(title: string, latency: LatencyGroup[], throughput: ThroughputBar[]): string {
  const W = 960;
  const H = 420;
  const panelW = 400;
  const panelH = 280;
  const top = 70;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`;
  svg += `<rect width="${W}" height="${H}" fill="#fff"/><text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${esc(title)}</text>`;

  // Panel 1: latency percentiles per run (grouped bars).
  const x1 = 60;
  const lMax = niceMax(Math.max(...latency.flatMap((g) => [g.p50, g.p90, g.p99]).filter(Number.isFinite), 1));
  svg += `<text x="${x1 + panelW / 2}" y="${top - 16}" text-anchor="middle" font-size="13">command → terminal event latency (ms)</text>`;
  svg += axis(x1, top, panelW, panelH, lMax, '');
  const gw = panelW / Math.max(1, latency.length);
  latency.forEach((g, i) => {
    (['p50', 'p90', 'p99'] as const).forEach((k, j) => {
      const v = Number.isFinite(g[k]) ? g[k] : 0;
      const h = (panelH * Math.min(v, lMax)) / lMax;
      const bx = x1 + i * gw + gw * 0.15 + (j * gw * 0.7) / 3;
      svg += `<rect x="${bx}" y="${top + panelH - h}" width="${(gw * 0.7) / 3 - 1}" height="${h}" fill="${COLORS[k]}"><title>${esc(g.label)} ${k} ${v} ms</title></rect>`;
    });
    svg += `<text x="${x1 + i * gw + gw / 2}" y="${top + panelH + 14}" text-anchor="middle" font-size="10">${esc(g.label)}</text>`;
  });
  (['p50', 'p90', 'p99'] as const).forEach((k, j) => {
    svg += `<rect x="${x1 + j * 60}" y="${top + panelH + 40}" width="10" height="10" fill="${COLORS[k]}"/><text x="${x1 + j * 60 + 14}" y="${top + panelH + 49}" font-size="11">${k}</text>`;
  });

  // Panel 2: throughput per mode (horizontal bars).
  const x2 = 640;
  const tw = 280;
  const tMax = niceMax(Math.max(...throughput.map((b) => b.value), 1));
  svg += `<text x="${x2 + tw / 2}" y="${top - 16}" text-anchor="middle" font-size="13">sustained throughput (commands/s)</text>`;
  const bh = panelH / Math.max(1, throughput.length);
  throughput.forEach((b, i) => {
    const w = (tw * b.value) / tMax;
    const y = top + i * bh;
    svg += `<text x="${x2 - 6}" y="${y + bh / 2 + 4}" text-anchor="end" font-size="10">${esc(b.label)}</text>`;
    svg += `<rect x="${x2}" y="${y + bh * 0.15}" width="${w}" height="${bh * 0.7}" fill="${COLORS.bar}"/>`;
    svg += `<text x="${x2 + w + 4}" y="${y + bh / 2 + 4}" font-size="10">${b.value}</text>`;
  });
  svg += '</svg>\n';
  return svg;
}
