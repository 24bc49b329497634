// PaddleNLP's "Recall@N" is a hit rate: the percentage of queries whose gold text is among the
// first N recalled texts (every query counts once, the last one included). In code and JSON it is
// called success@N (in percent) so that it is never confused with trec recall, the fraction of a
// query's relevant documents retrieved. Printed tables keep PaddleNLP's "recall@N" labels.

export const PADDLE_CUTOFFS = [1, 5, 10, 20, 50];

export interface SuccessTable {
  queries: number;
  /** cutoff -> percentage of queries with a hit in the top cutoff (0..100) */
  successPct: Record<number, number>;
}

/**
 * @param gold     per query, the set of gold texts (usually one)
 * @param recalled per query, recalled texts best first
 */
export function successAtN(gold: Set<string>[], recalled: string[][], cutoffs = PADDLE_CUTOFFS): SuccessTable {
  if (gold.length !== recalled.length) throw new Error(`${gold.length} queries but ${recalled.length} recall lists`);
  const hits: Record<number, number> = {};
  for (const n of cutoffs) hits[n] = 0;
  gold.forEach((g, q) => {
    const rank = recalled[q]!.findIndex((t) => g.has(t));
    if (rank < 0) return;
    for (const n of cutoffs) if (rank < n) hits[n]!++;
  });
  const successPct: Record<number, number> = {};
  for (const n of cutoffs) successPct[n] = gold.length ? (100 * hits[n]!) / gold.length : 0;
  return { queries: gold.length, successPct };
}

/** JSON keys for a success table: {"success_at_1": 84.4, ...} (percent). */
export function successJson(successPct: Record<number, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(successPct)) out[`success_at_${k}`] = v;
  return out;
}

/** PaddleNLP's evaluate.py table: recall@N labels, percentages. */
export function formatSuccessTable(table: SuccessTable): string {
  const cutoffs = Object.keys(table.successPct).map(Number);
  const header = cutoffs.map((n) => `recall@${n}`).join('\t');
  const values = cutoffs.map((n) => table.successPct[n]!.toFixed(3)).join('\t');
  return `${header}\n${values}`;
}
