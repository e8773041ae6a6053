import type { CallState } from '../api/types.js';

export function StateBadge({ state }: { state: CallState }) {
  return <span class={`badge badge-${state.toLowerCase()}`}>{state}</span>;
}
