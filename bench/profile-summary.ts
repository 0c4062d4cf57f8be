import { readFileSync } from 'node:fs';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  sampledSeconds: number;
  /** Share of samples not idle: how busy the one JS thread was. */
  busyShare: number;
  /** Self time per package (node_modules/<pkg>) or per source folder of this repo. */
  byArea: { area: string; share: number }[];
  topFunctions: { fn: string; share: number }[];
}

function areaOf(url: string): string {
  if (!url) return '(native/gc)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node core';
  const repo = /\/(apps\/[^/]+|libs\/[^/]+)\//.exec(url);
  return repo ? repo[1]! : 'other';
}

/** Self time of a `node --cpu-prof` profile, by package and by function (where does the time go?). */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let total = 0;
  let idle = 0;
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    total += us;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const area = frame.functionName === '(garbage collector)' ? '(gc)' : areaOf(frame.url);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = frame.url ? `${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}` : '';
    const fn = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const share = (us: number) => Math.round((us / Math.max(1, total)) * 1000) / 10;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    file,
    sampledSeconds: Math.round(total / 1e5) / 10,
    busyShare: share(total - idle),
    byArea: sorted(areas).slice(0, top).map(([area, us]) => ({ area, share: share(us) })),
    topFunctions: sorted(fns).slice(0, top).map(([fn, us]) => ({ fn, share: share(us) })),
  };
}

if (require.main === module) {
  for (const f of process.argv.slice(2)) process.stdout.write(`${JSON.stringify(summarizeProfile(f), null, 2)}\n`);
}
