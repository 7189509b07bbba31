/**
 * The held-delete operator's port into the pipeline: a released event runs through the processor as its
 * queue message would have, with the brake out of the way.
 */
import type { MassDeleteBrake } from '../brake/brake.js';
import type { OperatorDeps } from '../brake/operator.js';
import { processEvent, type ProcessorDeps } from './processor.js';

export function operatorDeps(processor: ProcessorDeps, brake: MassDeleteBrake): OperatorDeps {
  return {
    brake,
    decisions: processor.store.decisions,
    now: processor.now,
    reprocess: async (event) => {
      await processEvent(event, { ...processor, brake: undefined });
    },
  };
}
