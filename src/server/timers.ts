/**
 * The self-hosted counterpart of functions/timers.ts: the shared timer table's jobs on intervals
 * (SUBSCRIPTION_CHECK_MINUTES, TODO_POLL_MINUTES). A run never overlaps the previous one of
 * the same job; a failed run is logged and the next one comes on schedule, as with a Functions timer.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { TIMERS, type SyncJobs } from '../handlers/timers.js';

export interface TimerJob {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

export interface RunningTimers {
  stop(): Promise<void>;
}

export function syncTimerJobs(sync: SyncJobs, settings: Config['sync']): TimerJob[] {
  return Object.entries(TIMERS).map(([name, spec]) => ({ name, everyMs: settings[spec.minutesSetting] * 60_000, run: () => spec.run(sync) }));
}

/** Runs each job once now, then every `everyMs`. */
export function startTimers(jobs: readonly TimerJob[], log: Logger): RunningTimers {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const schedule = (job: TimerJob, delayMs: number) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const run = job.run().then(
        () => undefined,
        (error: unknown) => log.error('timer job failed', { job: job.name, error }),
      );
      running.add(run);
      void run.finally(() => {
        running.delete(run);
        schedule(job, job.everyMs);
      });
    }, delayMs);
    timers.add(timer);
  };
  for (const job of jobs) schedule(job, 0);
  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(running);
    },
  };
}
