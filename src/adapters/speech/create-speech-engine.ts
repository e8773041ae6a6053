import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../observability/metrics.js';
import type { SpeechEngine } from '../../ports/speech-engine.js';
import { loadVocabulary } from './vocabulary.js';

/**
 * Builds the configured engine. Each engine is imported only when chosen, so the AWS SDK,
 * sherpa-onnx's native addon or koffi load only for the deployments that use them.
 */
export async function createSpeechEngine(
  config: Readonly<Config>,
  log: Logger,
  _metrics?: Metrics,
): Promise<SpeechEngine> {
  const vocabulary = await loadVocabulary(config.vocabulary);
  switch (config.engine) {
    case 'pocketsphinx': {
      const { PocketsphinxEngine } = await import('./pocketsphinx/pocketsphinx-engine.js');
      return PocketsphinxEngine.create(config, log, { vocabulary });
    }
    case 'fake': {
      const [{ FakeSpeechEngine }, { loadFakeScript }] = await Promise.all([
        import('./fake/fake-engine.js'),
        import('./fake/fake-script.js'),
      ]);
      return new FakeSpeechEngine(await loadFakeScript(config.fakeEngineScript));
    }
    case 'aws-transcribe': {
      const { AwsTranscribeEngine } = await import('./aws-transcribe/aws-transcribe-engine.js');
      if (vocabulary.length > 0 && !config.awsVocabularyName) {
        log.warn(
          { phrases: vocabulary.length },
          'vocabulary not applied: Amazon Transcribe streaming takes only the name of a custom vocabulary created beforehand (CreateVocabulary); set awsVocabularyName',
        );
      }
      return new AwsTranscribeEngine(config, log);
    }
    case 'sherpa-onnx': {
      const { SherpaOnnxEngine } = await import('./sherpa-onnx/sherpa-onnx-engine.js');
      return SherpaOnnxEngine.create(config, log, {
        vocabulary,
        dataDir: config.dataDir,
        hotwordsScore: config.sherpaHotwordsScore,
      });
    }
  }
}
