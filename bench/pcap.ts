/**
 * Speed and memory of `sshwarden pcap` against Debian's tshark on the same generated capture, in
 * one run (not a test: it prints figures and checks them against the goals).
 *
 *   node bench/pcap.ts [--packets 1000000] [--format pcap|pcapng] [--file PATH] [--skip tshark]
 *
 * Contestants, each its own process, wall time around it, CPU (user+system) and peak RSS from GNU time -v:
 *  - tshark             : `tshark -r FILE -q -z conv,tcp` (the TCP conversation table)
 *  - sshwarden          : `./sshwarden pcap FILE > /dev/null` (text report)
 *  - sshwarden --json   : `./sshwarden pcap FILE --json > /dev/null` (every connection as JSON)
 * Memory bounded by open connections: sshwarden is also run on a capture a tenth the size; its
 * peak RSS should not grow with the file. Checks: same number of TCP connections as tshark.
 * Goal: sshwarden ≥ 10 × tshark (CPU time: the machine is shared, wall time depends on its load).
 * Generated captures are cached in /tmp/sshwarden-bench/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { generateCapture } from './generate-capture.ts';

const ROOT = resolve(dirname(import.meta.filename), '..');
const CACHE = '/tmp/sshwarden-bench';
const GOAL = 10;
const GENERATOR_VERSION = 1;

interface Run {
  tool: string;
  wallS: number;
  cpuS: number;
  rssMb: number;
  exit: number;
  stdout: string;
}

function timed(tool: string, cmd: string, args: string[], stdoutFile?: string): Run {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', stdoutFile ? 'ignore' : 'pipe', 'pipe'] });
  const wallS = (performance.now() - t0) / 1000;
  const err = r.stderr ?? '';
  const num = (re: RegExp) => Number(re.exec(err)?.[1] ?? 'NaN');
  return { tool, wallS, cpuS: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/), rssMb: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024, exit: r.status ?? -1, stdout: r.stdout ?? '' };
}

function capture(packets: number, format: 'pcap' | 'pcapng'): string {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, `pcap-v${GENERATOR_VERSION}-${packets}.${format}`);
  if (!existsSync(file)) {
    const t0 = performance.now();
    const g = generateCapture(file, packets, format);
    console.log(`generated ${file}: ${g.packets} packets, ${g.connections} connections ${JSON.stringify(g.byKind)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return file;
}

const { values } = parseArgs({ options: { packets: { type: 'string', default: '1000000' }, format: { type: 'string', default: 'pcap' }, file: { type: 'string' }, skip: { type: 'string', default: '' } } });
const format = values.format === 'pcapng' ? 'pcapng' : 'pcap';
const packets = Number(values.packets);
const file = values.file ?? capture(packets, format);
const small = values.file ? null : capture(Math.floor(packets / 10), format);
const skip = new Set(values.skip.split(',').filter(Boolean));
if (spawnSync('/usr/bin/time', ['--version']).status !== 0) throw new Error('bench needs GNU time: apt-get install -y time');

console.log(`capture ${file}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on this machine`);
const runs: Run[] = [];
if (!skip.has('tshark')) runs.push(timed('tshark -q -z conv,tcp', 'tshark', ['-r', file, '-q', '-z', 'conv,tcp']));
runs.push(timed('sshwarden pcap', './sshwarden', ['pcap', file]));
const json = timed('sshwarden pcap --json', 'sh', ['-c', `./sshwarden pcap '${file.replaceAll("'", "'\\''")}' --json > /dev/null`]);
runs.push(json);
if (small) runs.push(timed('sshwarden pcap (1/10 of the capture)', './sshwarden', ['pcap', small]));

console.log(`\n${'contestant'.padEnd(40)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(8)} ${'peak RSS MB'.padStart(12)} exit`);
for (const r of runs) console.log(`${r.tool.padEnd(40)} ${r.wallS.toFixed(2).padStart(8)} ${r.cpuS.toFixed(2).padStart(8)} ${r.rssMb.toFixed(0).padStart(12)} ${r.exit}`);

const ts = runs.find((r) => r.tool.startsWith('tshark'));
const sw = runs[skip.has('tshark') ? 0 : 1];
if (ts) {
  const convs = (ts.stdout.match(/<->/g) ?? []).length;
  const ours = Number(/(\d+) connections from/.exec(sw.stdout)?.[1] ?? NaN);
  console.log(`\nconnections: tshark ${convs}, sshwarden ${ours} ${convs === ours ? '(same)' : '(DIFFERENT)'}`);
  const byCpu = ts.cpuS / sw.cpuS;
  const byWall = ts.wallS / sw.wallS;
  const jsonCpu = ts.cpuS / json.cpuS;
  console.log(`ratio (tshark / sshwarden): CPU ${byCpu.toFixed(1)}x, wall ${byWall.toFixed(1)}x; with --json CPU ${jsonCpu.toFixed(1)}x; memory ${(ts.rssMb / sw.rssMb).toFixed(1)}x less`);
  console.log(`goal ≥ ${GOAL}x tshark by CPU: ${byCpu >= GOAL ? 'met' : 'NOT met'}`);
}
if (small) console.log(`memory vs file size: 1/10 capture ${runs.at(-1)?.rssMb.toFixed(0)} MB, full capture ${sw.rssMb.toFixed(0)} MB`);
