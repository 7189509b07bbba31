/**
 * The timer entry points both hosts schedule: the subscription check (create, renew at half life,
 * recreate, remove) and the To Do poll. Functions uses the NCRONTAB schedules; the self-hosted run uses
 * the interval settings named here.
 */
import type { Config } from '../config.js';

/** What the timers call: the sync services the composition root builds. */
export interface SyncJobs {
  checkSubscriptions(): Promise<unknown>;
  pollTodo(): Promise<unknown>;
}

export interface TimerSpec {
  /** NCRONTAB, for Azure Functions. */
  schedule: string;
  /** The self-hosted interval (minutes) setting. */
  minutesSetting: keyof Pick<Config['sync'], 'subscriptionCheckMinutes' | 'todoPollMinutes'>;
  run(jobs: SyncJobs): Promise<unknown>;
}

export const TIMERS = {
  /** Every 30 minutes: renewal happens at half of a 3- or 7-day lifetime, so this is frequent enough. */
  subscriptionCheck: { schedule: '0 */30 * * * *', minutesSetting: 'subscriptionCheckMinutes', run: (jobs) => jobs.checkSubscriptions() },
  /** Every 5 minutes: how late a To Do delete may be noticed. */
  todoPoll: { schedule: '0 */5 * * * *', minutesSetting: 'todoPollMinutes', run: (jobs) => jobs.pollTodo() },
} satisfies Record<string, TimerSpec>;
