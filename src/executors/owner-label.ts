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

