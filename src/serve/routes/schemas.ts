// Request body pieces several routes share. Schemas are declared `as const`: the type provider
// derives each handler's body type from them, so a body is declared once and never cast.
export const textList = (maxTexts: number) => ({ type: 'array', minItems: 1, maxItems: maxTexts, items: { type: 'string', minLength: 1 } }) as const;

/** One text or a list: TEI's `inputs`, OpenAI's `input`. */
export const oneOrMoreTexts = (maxTexts: number) => ({ anyOf: [{ type: 'string', minLength: 1 }, textList(maxTexts)] }) as const;

export const asList = (input: string | readonly string[]): string[] => (typeof input === 'string' ? [input] : [...input]);

/** TEI's tokenisation fields (EmbedRequest, EmbedAllRequest, SimilarityParameters): truncation_direction in either case, as TEI and @huggingface/inference spell it. */
export const teiTextFields = {
  truncate: { type: ['boolean', 'null'] },
  truncation_direction: { type: 'string', enum: ['Left', 'Right', 'left', 'right'] },
  prompt_name: { type: ['string', 'null'] },
} as const;

/** TEI's SimilarityInput: one sentence compared with each of the others. */
export const similarityInput = (maxTexts: number) => ({
  type: 'object', required: ['source_sentence', 'sentences'], additionalProperties: false,
  properties: { source_sentence: { type: 'string', minLength: 1 }, sentences: textList(maxTexts) },
}) as const;
