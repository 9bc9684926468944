/**
 * The machine a benchmark ran on, as every result file records it: results are compared
 * within one run, and the load tells how noisy that run was.
 */
import os from 'node:os';

export function machineInfo(loadAtStart: number[]) {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? '',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    loadAtStart,
    loadAtEnd: os.loadavg(),
  };
}
