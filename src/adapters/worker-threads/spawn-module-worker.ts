import { Worker, type TransferListItem } from 'node:worker_threads';

/**
 * Starts the worker module `<baseName>.js` next to `callerUrl`. When running from TypeScript
 * sources (tests, tsx) the worker registers the tsx loader first: in Node 20 a worker thread
 * inherits neither the parent's loader hooks nor a working `--import`.
 */
export function spawnModuleWorker(
  callerUrl: string,
  baseName: string,
  workerData?: unknown,
  transferList: readonly TransferListItem[] = [],
): Worker {
  if (callerUrl.endsWith('.ts')) {
    const entry = new URL(`./${baseName}.ts`, callerUrl).href;
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(bootstrap, {
      eval: true,
      execArgv: [],
      workerData,
      transferList: [...transferList],
    });
  }
  return new Worker(new URL(`./${baseName}.js`, callerUrl), {
    execArgv: [],
    workerData,
    transferList: [...transferList],
  });
}
