import { readlinkSync } from 'node:fs';
import os from 'node:os';

/**
 * This process's PID namespace: a pid means something only inside it. Two processes on one
 * machine (a native install and a host-network container share a host name) may not judge
 * each other's pids.
 */
export const PID_NAMESPACE = (() => {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

/**
 * Who started a daemon: `<machine>/<pid>.<pid namespace>[/…]`, which lets a later process find
 * daemons whose owner died. A worker's own id has this shape, so its heartbeat speaks for its daemons.
 */
export function ownerLabel(name: string = os.hostname()): string {
  return `${name}/${process.pid}.${PID_NAMESPACE}`;
}

/** True when no process has this id on this machine (a dead owner). */
export function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * True when the daemon was started on this machine, in this PID namespace, by a process that no
 * longer exists. An owner from elsewhere (another machine, a container beside us, an owner id
 * without its namespace) is judged only by its heartbeats, never by a pid that means nothing here.
 */
export function ownerIsGone(owner: string): boolean {
  const [machine, process] = owner.split('/');
  const [pid, namespace] = (process ?? '').split('.');
  if (machine !== os.hostname() || !pid || namespace !== PID_NAMESPACE || PID_NAMESPACE === 'unknown') return false;
  return processIsGone(Number(pid));
}
