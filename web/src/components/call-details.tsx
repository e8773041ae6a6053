import type { ComponentChildren } from 'preact';
import type { CallRecord } from '../api/types.js';

function Row({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </>
  );
}

/** metadatajson is opaque to callscribe; pretty-print it when it happens to be JSON. */
function prettyMetadata(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

export function CallDetails({ call }: { call: CallRecord }) {
  const mapping = call.channelMapping;
  const siprec = call.siprec;
  const extensions = siprec ? Object.entries(siprec.extensions) : [];
  return (
    <section class="card details" aria-labelledby="details-heading">
      <h2 id="details-heading">Details</h2>
      <dl>
        <Row term="From">{call.fromNumber || '—'}</Row>
        <Row term="To">{call.toNumber || '—'}</Row>
        <Row term="Agent">{call.agentId ?? '—'}</Row>
        {call.originalCallId !== call.callId && (
          <Row term="Original call ID">{call.originalCallId}</Row>
        )}
        <Row term="Language">{call.languageCode || '—'}</Row>
        <Row term="Started">{call.callStreamingStartTime || '—'}</Row>
        <Row term="Processing since">{call.callProcessingStartTime || '—'}</Row>
        {call.callStreamingEndTime !== '' && <Row term="Ended">{call.callStreamingEndTime}</Row>}
        {call.endReason !== null && <Row term="End reason">{call.endReason}</Row>}
        <Row term="Channel mapping">
          <span data-testid="mapping-rule">{mapping.rule || '—'}</span>
          {mapping.swappedByHook && ' (swapped by hook)'}
          <br />
          <small>
            caller stream {mapping.callerStreamLabel ?? '—'}, agent stream{' '}
            {mapping.agentStreamLabel ?? '—'}
          </small>
        </Row>
        <Row term="Recording">{call.shouldRecordCall ? 'on' : 'off'}</Row>
        {call.engineFailover && (
          <Row term="Speech engine">
            <span data-testid="engine-failover">
              {call.engineFailover.to} (took over from {call.engineFailover.from}:{' '}
              {call.engineFailover.reason}, {call.engineFailover.channel.toLowerCase()} channel)
            </span>
          </Row>
        )}
      </dl>
      {call.metadatajson !== null && call.metadatajson !== '' && (
        <>
          <h3>Metadata (metadatajson)</h3>
          <pre class="metadata" data-testid="metadatajson">
            {prettyMetadata(call.metadatajson)}
          </pre>
        </>
      )}
      {siprec !== null && (
        <>
          <h3>SIPREC</h3>
          <dl>
            <Row term="Dialect">{siprec.dialect}</Row>
            {siprec.userAgent !== null && <Row term="SBC">{siprec.userAgent}</Row>}
          </dl>
          {siprec.participants.length > 0 && (
            <ul class="participants">
              {siprec.participants.map((p) => (
                <li key={p.participantId}>
                  {p.name ?? p.aor ?? p.participantId}
                  {p.name !== null && p.aor !== null && <small> {p.aor}</small>}
                  {p.sendLabels.length > 0 && <small> — streams {p.sendLabels.join(', ')}</small>}
                </li>
              ))}
            </ul>
          )}
          {extensions.length > 0 && (
            <table class="extensions" data-testid="siprec-extensions">
              <caption>Vendor extension data</caption>
              <tbody>
                {extensions.map(([key, value]) => (
                  <tr key={key}>
                    <th scope="row">{key}</th>
                    <td>{value}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
