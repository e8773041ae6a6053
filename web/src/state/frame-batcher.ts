/**
 * Coalesces bursts (history replay, many calls' events) into one render per animation frame.
 * Falls back to a timeout when the tab is hidden and rAF is paused, so state still converges.
 */
export function createFrameBatcher(flush: () => void): { schedule(): void; cancel(): void } {
  let frame: number | undefined;
  let timeout: ReturnType<typeof setTimeout> | undefined;
  const run = (): void => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    if (timeout !== undefined) clearTimeout(timeout);
    frame = undefined;
    timeout = undefined;
    flush();
  };
  return {
    schedule() {
      if (frame !== undefined) return;
      frame = requestAnimationFrame(run);
      timeout = setTimeout(run, 250);
    },
    cancel() {
      if (frame !== undefined) cancelAnimationFrame(frame);
      if (timeout !== undefined) clearTimeout(timeout);
      frame = undefined;
      timeout = undefined;
    },
  };
}
