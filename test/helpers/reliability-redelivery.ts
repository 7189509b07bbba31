/**
 * Redelivery as the senders do it at their worst: every Graph change notification sent one to three
 * times (shuffled by the notifier's random delay), every Dataverse webhook body posted again up to two
 * more times at random moments, while the echoes of the service's own deletes come in between.
 */
import type { TenantSandbox } from '../../sandbox/index.js';

/** Wraps the sandbox notifier: each change notification goes out 1–3 times. Answers how many went out. */
export function repeatNotifications(sb: TenantSandbox, random: () => number): { sent: () => number } {
  const { notifier } = sb.graph;
  const send = notifier.send.bind(notifier);
  notifier.settings.duplicateRate = 0;
  notifier.settings.maxDelayMs = 250;
  let sent = 0;
  notifier.send = (n) => {
    const copies = n.lifecycle ? 1 : 1 + Math.floor(random() * 3);
    sent += copies;
    for (let i = 0; i < copies; i++) send(n);
  };
  return { sent: () => sent };
}

/** Posts each webhook Dataverse delivered since `since` again 0–2 times, at random moments within 300 ms. */
export async function repeatWebhooks(sb: TenantSandbox, endpoint: string, key: string, since: number, random: () => number): Promise<number> {
  const repeats = sb.dataverse
    .deliveries()
    .slice(since)
    .flatMap((d) => Array.from({ length: Math.floor(random() * 3) }, () => ({ d, after: Math.floor(random() * 300) })));
  await Promise.all(
    repeats.map(async ({ d, after }) => {
      await new Promise((resolve) => setTimeout(resolve, after));
      const headers = Object.fromEntries(Object.entries(d.headers).filter(([name]) => !['content-length', 'host'].includes(name.toLowerCase())));
      const res = await fetch(`${endpoint}?code=${encodeURIComponent(key)}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(d.body),
      });
      if (res.status !== 202) throw new Error(`repeated webhook answered ${res.status}`);
    }),
  );
  return repeats.length;
}
