import { describe, expect, it } from 'vitest';
import { addedStreamSide } from '../../src/adapters/siprec/added-stream-side.js';
import { parseRecordingMetadata } from '../../src/adapters/siprec/rs-metadata.js';

/** Metadata of a call with caller (stream 1), agent (stream 2) and a third party on stream 3. */
function metadata(third: { aor: string; extra?: string; sends?: string[] }) {
  const sends = (third.sends ?? ['s3']).map((id) => `<send>${id}</send>`).join('');
  return parseRecordingMetadata(`<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
<datamode>complete</datamode>
<session session_id="c2Vz"></session>
<participant participant_id="cA"><nameID aor="sip:+15551230001@carrier.example.net"></nameID></participant>
<participant participant_id="aA"><nameID aor="sip:1001@cc.example.com"></nameID></participant>
<participant participant_id="tA"><nameID aor="${third.aor}"></nameID>${third.extra ?? ''}</participant>
<stream stream_id="s1" session_id="c2Vz"><label>1</label></stream>
<stream stream_id="s2" session_id="c2Vz"><label>2</label></stream>
<stream stream_id="s3" session_id="c2Vz"><label>3</label></stream>
<participantstreamassoc participant_id="cA"><send>s1</send></participantstreamassoc>
<participantstreamassoc participant_id="aA"><send>s2</send></participantstreamassoc>
<participantstreamassoc participant_id="tA">${sends}</participantstreamassoc>
</recording>`);
}

const labels = { callerLabel: '1', agentLabel: '2' };

describe('the side of a stream a conference adds', () => {
  it('a supervisor of the agent’s domain joins the agent side', () => {
    const side = addedStreamSide({
      label: '3',
      metadata: metadata({ aor: 'sip:supervisor9@cc.example.com' }),
      ...labels,
    });
    expect(side).toEqual({ side: 'AGENT', mixInto: '2', rule: 'agent-domain' });
  });

  it('an outside party (another carrier number) joins the caller side', () => {
    const side = addedStreamSide({
      label: '3',
      metadata: metadata({ aor: 'sip:+15559990000@other.example.org' }),
      ...labels,
    });
    expect(side).toEqual({ side: 'CALLER', mixInto: '1', rule: 'non-agent-side' });
  });

  it('a second stream of a known participant joins that participant’s side', () => {
    const m = metadata({ aor: 'sip:x@other.example.org', sends: [] });
    const agent = m.participants.find((p) => p.participantId === 'aA')!;
    agent.sendStreamIds.push('s3');
    expect(addedStreamSide({ label: '3', metadata: m, ...labels })).toMatchObject({
      side: 'AGENT',
      rule: 'same-participant',
    });
  });

  it('the SBC profile’s agent pattern marks an agent-side party', () => {
    const side = addedStreamSide({
      label: '3',
      metadata: metadata({ aor: 'sip:7001@pbx.example.org' }),
      ...labels,
      profile: {
        name: 'p',
        matchSourceCidrs: [],
        mappingRule: 'agent-aor-pattern',
        agentAorPattern: '^sip:7\\d{3}@',
        firstLabelIs: 'CALLER',
      },
    });
    expect(side).toMatchObject({ side: 'AGENT', rule: 'agent-aor-pattern' });
  });

  it('without metadata: the non-agent side', () => {
    expect(addedStreamSide({ label: '3', metadata: null, ...labels })).toEqual({
      side: 'CALLER',
      mixInto: '1',
      rule: 'non-agent-side',
    });
  });

  it('a single-stream call mixes every added stream into its one stream', () => {
    expect(
      addedStreamSide({
        label: '3',
        metadata: metadata({ aor: 'sip:supervisor9@cc.example.com' }),
        callerLabel: '1',
        agentLabel: null,
      }),
    ).toMatchObject({ mixInto: '1' });
  });
});
