import { useState } from 'preact/hooks';
import { UnauthorizedError } from '../api/api-client.js';
import type { CallRecord, ControlReply } from '../api/types.js';
import { describeControlReply } from '../format/outcome.js';
import { useServices } from '../use-services.js';

interface Props {
  call: CallRecord;
  /** The server answered; the page refetches rather than trusting the reply alone. */
  onReply(reply: ControlReply): void;
}

/** START_CALL_PROCESSING with optional overrides, STOP_CALL_PROCESSING, and what came of them. */
export function ProcessingControls({ call, onReply }: Props) {
  const { api } = useServices();
  const [agentId, setAgentId] = useState('');
  const [toNumber, setToNumber] = useState('');
  const [fromNumber, setFromNumber] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ text: string; status: string } | null>(null);

  const send = async (action: () => Promise<ControlReply>): Promise<void> => {
    setBusy(true);
    try {
      const reply = await action();
      setResult({ text: describeControlReply(reply), status: reply.outcome?.status ?? 'rejected' });
      onReply(reply);
    } catch (e) {
      if (!(e instanceof UnauthorizedError)) {
        setResult({
          text: `failed: ${e instanceof Error ? e.message : String(e)}`,
          status: 'rejected',
        });
      }
    } finally {
      setBusy(false);
    }
  };

  const ended = call.state === 'ENDED';
  const nonEmpty = (v: string): string | undefined => (v.trim() === '' ? undefined : v.trim());
  return (
    <section class="card controls" aria-labelledby="controls-heading">
      <h2 id="controls-heading">Processing</h2>
      <form
        class="start-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send(() =>
            api.startProcessing(call.callId, {
              agentId: nonEmpty(agentId),
              toNumber: nonEmpty(toNumber),
              fromNumber: nonEmpty(fromNumber),
            }),
          );
        }}
      >
        <label for="start-agent-id">Agent ID (optional)</label>
        <input
          id="start-agent-id"
          value={agentId}
          onInput={(e) => setAgentId(e.currentTarget.value)}
        />
        <label for="start-to-number">To number (optional)</label>
        <input
          id="start-to-number"
          type="tel"
          value={toNumber}
          onInput={(e) => setToNumber(e.currentTarget.value)}
        />
        <label for="start-from-number">From number (optional)</label>
        <input
          id="start-from-number"
          type="tel"
          value={fromNumber}
          onInput={(e) => setFromNumber(e.currentTarget.value)}
        />
        <div class="buttons">
          <button type="submit" disabled={busy || ended || call.state === 'PROCESSING'}>
            Start processing
          </button>
          <button
            type="button"
            class="secondary"
            disabled={busy || call.state !== 'PROCESSING'}
            onClick={() => void send(() => api.stopProcessing(call.callId))}
          >
            Stop processing
          </button>
        </div>
      </form>
      <p
        class={`outcome${result ? ` outcome-${result.status}` : ''}`}
        role="status"
        data-testid="control-outcome"
      >
        {result?.text ?? ''}
      </p>
    </section>
  );
}
