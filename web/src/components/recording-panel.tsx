import { callPath } from '../api/api-client.js';
import type { CallRecord } from '../api/types.js';
import { useServices } from '../use-services.js';

/** After the call: the stereo WAV (caller left, agent right) and the transcript downloads. */
export function RecordingPanel({ call }: { call: CallRecord }) {
  const { api } = useServices();
  const base = callPath(call.callId);
  const safeName = call.callId.replace(/[^A-Za-z0-9._-]+/g, '_');
  return (
    <section class="card recording" aria-labelledby="recording-heading">
      <h2 id="recording-heading">After the call</h2>
      {call.shouldRecordCall ? (
        <audio
          controls
          preload="metadata"
          src={api.urlWithToken(`${base}/recording`)}
          aria-label="Call recording"
        >
          <a href={api.urlWithToken(`${base}/recording`)}>Download the recording</a>
        </audio>
      ) : (
        <p>This call was not recorded.</p>
      )}
      <p class="downloads">
        <a href={api.urlWithToken(`${base}/transcript?format=text`)} download={`${safeName}.txt`}>
          Transcript (text)
        </a>
        <a href={api.urlWithToken(`${base}/transcript`)} download={`${safeName}.json`}>
          Transcript (JSON)
        </a>
      </p>
    </section>
  );
}
