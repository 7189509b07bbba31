/** What the HTTP handlers need: configuration, the store, a logger and a clock (injected for tests). */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';

export interface HandlerDeps {
  config: Config;
  store: Store;
  log: Logger;
  now: () => Date;
}
