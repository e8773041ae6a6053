import { useLayoutEffect, useRef } from 'preact/hooks';
import { callDurationMs, formatDurationMs } from '../format/duration.js';
import { useServices } from '../use-services.js';

interface Props {
  startIso: string;
  endIso: string;
}

/** Writes its own text each tick (see Ticker); the parent never re-renders for it. */
export function LiveDuration({ startIso, endIso }: Props) {
  const { ticker } = useServices();
  const ref = useRef<HTMLSpanElement>(null);
  useLayoutEffect(() => {
    const update = (nowMs: number): void => {
      const ms = callDurationMs(startIso, endIso, nowMs);
      if (ref.current) ref.current.textContent = ms === null ? '' : formatDurationMs(ms);
    };
    update(Date.now());
    if (endIso !== '' || startIso === '') return undefined;
    return ticker.subscribe(update);
  }, [startIso, endIso, ticker]);
  return <span class="duration" ref={ref} />;
}
