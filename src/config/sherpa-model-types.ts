/** The sherpa-onnx model families callscribe drives; `sherpaModelType` takes one of these. */
export const SHERPA_MODEL_TYPES = [
  'online-transducer',
  'online-paraformer',
  'online-zipformer2-ctc',
  'online-nemo-ctc',
  'offline-transducer',
  'offline-paraformer',
  'offline-nemo-ctc',
  'offline-zipformer-ctc',
  'offline-whisper',
  'offline-sense-voice',
  'offline-moonshine',
] as const;
export type SherpaModelType = (typeof SHERPA_MODEL_TYPES)[number];
