import { FakeSpeechEngine } from '../../src/adapters/speech/fake/fake-engine.js';
import { parseFakeScript } from '../../src/adapters/speech/fake/fake-script.js';
import {
  describeSpeechEngineContract,
  loadSampleCall,
  referenceTexts,
} from '../contract/speech-engine-contract.js';

describeSpeechEngineContract(
  'fake',
  async () => ({
    engine: new FakeSpeechEngine(parseFakeScript({ texts: referenceTexts(loadSampleCall()) })),
  }),
  { maxWer: 0 },
);
