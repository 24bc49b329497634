// PaddleNLP's Recall@N: the percentage of queries whose gold text is among the first N recalled texts.
// Every query counts once, the last one included.

export const PADDLE_CUTOFFS = [1, 5, 10, 20, 50];

export interface RecallTable {
  queries: number;
  /** cutoff -> percentage (0..100) */
  recall: Record<number, number>;
}

/**
 * @param gold     per query, the set of gold texts (usually one)
 * @param recalled per query, recalled texts best first
 */
export function recallAtN(gold: Set<string>[], recalled: string[][], cutoffs = PADDLE_CUTOFFS): RecallTable {
  if (gold.length !== recalled.length) throw new Error(`${gold.length} queries but ${recalled.length} recall lists`);
  const hits: Record<number, number> = {};
  for (const n of cutoffs) hits[n] = 0;
  gold.forEach((g, q) => {
    const rank = recalled[q]!.findIndex((t) => g.has(t));
    if (rank < 0) return;
    for (const n of cutoffs) if (rank < n) hits[n]!++;
  });
  const recall: Record<number, number> = {};
  for (const n of cutoffs) recall[n] = gold.length ? (100 * hits[n]!) / gold.length : 0;
  return { queries: gold.length, recall };
}

export function formatRecallTable(table: RecallTable): string {
  const cutoffs = Object.keys(table.recall).map(Number);
  const header = cutoffs.map((n) => `recall@${n}`).join('\t');
  const values = cutoffs.map((n) => table.recall[n]!.toFixed(3)).join('\t');
  return `${header}\n${values}`;
}
