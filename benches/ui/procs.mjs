// What a process tree costs, read from /proc: CPU time and wake-ups from each thread's
// `schedstat` (nanoseconds, exact; `stat`'s 10 ms ticks are too coarse for an idle app), memory
// from `smaps_rollup` (RSS, and PSS: shared pages divided among the processes that map them).
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

/** `pid` and every live descendant of it. */
export function tree(pid) {
  const parents = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(name), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [child, parent] of parents) if (parent === out[i]) out.push(child);
  }
  return out.filter((p) => parents.has(p));
}

/** The process's name (`comm`), or "?" once it exited. */
export function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

/**
 * Each thread's CPU nanoseconds and times scheduled onto a CPU (each one a wake-up), by thread id.
 * Per thread, not summed: a pool thread that exits takes its whole history with it, so a sum over
 * the live threads can fall between two readings and hide what the others did.
 */
export function sched(pid) {
  const threads = new Map();
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const t of tasks) {
    try {
      const [ns, , slices] = readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").trim().split(" ").map(Number);
      threads.set(t, { cpuNs: ns, runs: slices });
    } catch {
      // the thread ended
    }
  }
  return threads;
}

/** What the threads did between two readings: survivors' differences plus new threads' all. */
function between(before, after) {
  let cpuNs = 0;
  let runs = 0;
  for (const [tid, a] of after) {
    const b = before.get(tid) ?? { cpuNs: 0, runs: 0 };
    cpuNs += a.cpuNs - b.cpuNs;
    runs += a.runs - b.runs;
  }
  const ended = [...before.keys()].filter((tid) => !after.has(tid)).length;
  return { cpuNs, runs, ended };
}

/**
 * RSS and PSS in KiB, and the PSS's parts: anonymous (heaps, stacks, JIT code), shared memory
 * (the buffers the web process paints into, mapped by the app's process too) and file pages
 * (code and data of the binary and libraries, clean: the kernel can drop them and read them
 * again when they are run). The first two and swap are the process's private footprint: what it
 * holds that no file backs (close to the "private memory footprint" of Chrome's memory metrics).
 */
export function memory(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  const footprintKib = kib("Pss_Anon") + kib("Pss_Shmem") + kib("SwapPss");
  return { rssKib: kib("Rss"), pssKib: kib("Pss"), pssFileKib: kib("Pss_File"), footprintKib };
}

/**
 * KiB of `pid`'s own executable resident in its memory: the pages of its code (and read-only
 * data) it has touched, each first touch bringing in 64 KiB around it (the kernel's fault-around).
 * How well the code a start runs is laid out together shows here (src-tauri/link-order.txt).
 */
export function binaryResidentKib(pid) {
  const exe = readlinkSync(`/proc/${pid}/exe`);
  let mine = false;
  let kib = 0;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    // A mapping's header: "start-end perms offset dev inode [path]"; its fields follow.
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) mine = header[1] === exe;
    else if (mine && line.startsWith("Rss:")) kib += Number(/(\d+) kB/.exec(line)[1]);
  }
  return kib;
}

/**
 * Memory of `pid`'s process tree: each process (pid, name, `memory`'s figures in KiB) and the
 * sums in MiB; a process that ended meanwhile counts as nothing.
 */
export function treeMemory(pid) {
  const processes = tree(pid).map((p) => ({ pid: p, name: comm(p), ...memory(p) }));
  const sum = (k) => processes.reduce((s, p) => s + (Number.isFinite(p[k]) ? p[k] : 0), 0) / 1024;
  let binary;
  try {
    binary = binaryResidentKib(pid) / 1024;
  } catch {
    // ended meanwhile
  }
  return {
    processes, rss_mib: sum("rssKib"), pss_mib: sum("pssKib"), pss_file_mib: sum("pssFileKib"), footprint_mib: sum("footprintKib"),
    // The root process's own binary (the app's backend, not WebKit's processes).
    binary_rss_mib: binary,
  };
}

/**
 * Samples `pids` (re-read as trees of `roots`) over `seconds`: CPU % of one core, CPU ms per
 * minute and wake-ups per second, per process name and in all.
 */
export async function idleCost(roots, seconds, sleep) {
  const pids = roots.flatMap((r) => tree(r));
  const before = new Map(pids.map((p) => [p, sched(p)]));
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
  const per = {};
  let cpuNs = 0;
  let runs = 0;
  let ended = 0;
  for (const [pid, b] of before) {
    const name = comm(pid);
    const d = between(b, sched(pid));
    per[name] ??= { cpuNs: 0, runs: 0 };
    per[name].cpuNs += d.cpuNs;
    per[name].runs += d.runs;
    cpuNs += d.cpuNs;
    runs += d.runs;
    ended += d.ended;
  }
  const shape = (x) => ({
    cpu_percent: (x.cpuNs / 1e9 / elapsedS) * 100,
    cpu_ms_per_min: x.cpuNs / 1e6 / (elapsedS / 60),
    wakeups_per_s: x.runs / elapsedS,
  });
  return {
    seconds: elapsedS,
    // Threads that ended during the reading: what they did in it is not counted.
    threads_ended: ended,
    ...shape({ cpuNs, runs }),
    processes: Object.fromEntries(Object.entries(per).map(([k, v]) => [k, shape(v)])),
  };
}
