/**
 * A view's data from one API call, and the actions taken on it: loading, the error or notice to show,
 * and whether an action is running (buttons are disabled meanwhile). Every change re-renders.
 */
import type { Context } from '../app.js';

export interface Resource<T> {
  readonly data: T | null;
  readonly error: string;
  readonly notice: string;
  readonly busy: boolean;
  load(): Promise<void>;
  /** Runs an action; its answer (null = nothing done, e.g. not confirmed) becomes the notice, then the data is loaded again. */
  act(work: () => Promise<string | null>): Promise<void>;
}

export function resource<T>(ctx: Context, fetch: () => Promise<T>): Resource<T> {
  const state = { data: null as T | null, error: '', notice: '', busy: false };
  const load = async () => {
    try {
      state.data = await fetch();
      state.error = '';
    } catch (e) {
      state.error = ctx.failed(e);
    }
    ctx.update();
  };
  const act = async (work: () => Promise<string | null>) => {
    state.busy = true;
    ctx.update();
    try {
      const notice = await work();
      if (notice !== null) state.notice = notice;
    } catch (e) {
      state.error = ctx.failed(e);
    }
    state.busy = false;
    await load();
  };
  void load();
  return {
    get data() {
      return state.data;
    },
    get error() {
      return state.error;
    },
    get notice() {
      return state.notice;
    },
    get busy() {
      return state.busy;
    },
    load,
    act,
  };
}
