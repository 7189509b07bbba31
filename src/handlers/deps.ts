/** What the HTTP handlers need: configuration, the store, a logger and a clock (injected for tests). */
import type { OperatorDeps } from '../brake/operator.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { ResolveMailbox } from './explorer-search.js';

export interface HandlerDeps {
  config: Config;
  store: Store;
  log: Logger;
  now: () => Date;
  /** The brake and processor an explorer release or discard runs through; absent without a brake. */
  operator?: OperatorDeps;
  /** Mailbox UPN → Entra object id for the explorer's search (Graph); absent where there is no Graph. */
  resolveMailbox?: ResolveMailbox;
}
