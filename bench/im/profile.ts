/**
 * Summarises a V8 `.cpuprofile` (from `BENCH_SERVER_FLAGS="--cpu-prof --cpu-prof-dir=DIR"`):
 * self time by function and by package/file, and total (inclusive) time of the functions that
 * match a pattern, optionally over a time slice of the profile (seconds from its start):
 * `node --import tsx bench/im/profile.ts FILE [--top=25] [--match=REGEXP] [--from=S] [--to=S]`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (!file) throw new Error('usage: profile.ts FILE [--top=N] [--match=REGEXP] [--from=S] [--to=S]');
const top = Number(option('top') ?? 25);
const pattern = option('match');
const from = Number(option('from') ?? 0) * 1e6;
const to = Number(option('to') ?? Number.POSITIVE_INFINITY) * 1e6;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const self = new Map<number, number>();
let at = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  if (at >= from && at <= to) self.set(id, (self.get(id) ?? 0) + delta);
});
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** Where a frame comes from: a package, a workspace file, or V8/Node itself. */
function origin(url: string): string {
  if (!url) return '(native/V8)';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1]!;
  const src = url.match(/packages\/([^/]+)\/src\/(.*)$/);
  if (src) return `@hutong/${src[1]}/${src[2]}`;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}
const name = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${origin(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const bucket = (key: (n: ProfileNode) => string) => {
  const sums = new Map<string, number>();
  for (const [id, us] of self) {
    const k = key(byId.get(id)!);
    sums.set(k, (sums.get(k) ?? 0) + us);
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
};
const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)');
const busy = total - idle.reduce((a, [, us]) => a + us, 0);
console.log(
  `profile ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s; this slice ${(total / 1e6).toFixed(1)} s, busy ${((busy / total) * 100).toFixed(0)} %`,
);
console.log('\nself time by function:');
for (const [k, us] of bucket(name).slice(0, top)) console.log(`${pct(us)}  ${k}`);
console.log('\nself time by origin:');
for (const [k, us] of bucket((n) => origin(n.callFrame.url)).slice(0, top)) console.log(`${pct(us)}  ${k}`);

if (pattern) {
  // Inclusive time of matching frames, not counting a match nested inside another match twice.
  const re = new RegExp(pattern);
  const inclusive = new Map<string, number>();
  const walk = (id: number, inside: Set<string>) => {
    const n = byId.get(id)!;
    const k = name(n);
    const matched = re.test(k) && !inside.has(k);
    const next = matched ? new Set([...inside, k]) : inside;
    for (const key of next) inclusive.set(key, (inclusive.get(key) ?? 0) + (self.get(id) ?? 0));
    for (const child of n.children ?? []) walk(child, next);
  };
  walk(profile.nodes[0]!.id, new Set());
  console.log(`\ntotal (inclusive) time of /${pattern}/:`);
  for (const [k, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${pct(us)}  ${k}`);
}
