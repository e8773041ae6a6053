import { Component } from 'preact';
import type { CallRecord } from '../api/types.js';
import { formatStartTime } from '../format/date-time.js';
import { callHref } from '../route.js';
import { LiveDuration } from './live-duration.js';
import { HoldBadge } from './hold-badge.js';
import { StateBadge } from './state-badge.js';

interface Props {
  call: CallRecord;
}

/**
 * Records are replaced, never mutated, when an event changes them, so identity tells whether a
 * row must render; a busy list re-renders only the rows whose calls changed.
 */
export class CallRow extends Component<Props> {
  override shouldComponentUpdate(next: Props): boolean {
    return next.call !== this.props.call;
  }

  override render({ call }: Props) {
    return (
      <tr data-call-id={call.callId} data-state={call.state}>
        <td data-label="Status">
          <StateBadge state={call.state} /> <HoldBadge call={call} />
        </td>
        <td data-label="Call">
          <a href={callHref(call.callId)} class="call-link">
            {call.callId}
          </a>
        </td>
        <td data-label="From">{call.fromNumber}</td>
        <td data-label="To">{call.toNumber}</td>
        <td data-label="Agent">{call.agentId ?? '—'}</td>
        <td data-label="Started">
          <time dateTime={call.callStreamingStartTime}>
            {formatStartTime(call.callStreamingStartTime, Date.now())}
          </time>
        </td>
        <td data-label="Duration">
          <LiveDuration startIso={call.callStreamingStartTime} endIso={call.callStreamingEndTime} />
        </td>
        <td data-label="Mapping">{call.channelMapping.rule || '—'}</td>
      </tr>
    );
  }
}
