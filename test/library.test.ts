// The package entry point: what `import ... from 'inbatch'` gives, without loading libtorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('the library entry exports the public API', async () => {
  const inbatch = await import('../src/index.js');
  for (const name of ['Embedder', 'exportModel', 'buildServer', 'DualEncoder', 'Trainer', 'inBatchNegativesLoss', 'HnswIndex', 'ExactIndex', 'loadIndex',
    'recallAtN', 'evaluateRun', 'BertTokenizer', 'loadTokenizer', 'readPairs', 'embedCorpus', 'vectorDrift']) {
    assert.equal(typeof (inbatch as Record<string, unknown>)[name], 'function', name);
  }
  assert.equal(typeof inbatch.Embedder.load, 'function');
});
