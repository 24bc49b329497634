// An OpenAI-compatible or TEI embedding endpoint as an embedder, for baselines:
//   http(s)://host[:port]/v1   OpenAI: POST {url}/embeddings {input: [...], model} -> {data: [{embedding, index}]}
//   any other URL              TEI:    POST {url}/embed {inputs: [...]} -> [[...]]
// Texts go in batches, a bounded number at once; 429 and 5xx answers and network errors are retried
// with exponential backoff (Retry-After is honoured); every error names the URL (never its
// credentials), the status and the server's message. The dimension is learnt from the first answer
// and a change mid-corpus is refused. Vectors are L2-normalised.

export interface EndpointOptions {
  apiKey?: string;
  /** OpenAI's `model` field */
  model: string;
  batchSize: number;
  /** requests in flight at once */
  concurrency: number;
  retries: number;
  /** ms before the first retry (doubled each time, at most 30 s) */
  backoffMs: number;
  timeoutMs: number;
  queryPrefix?: string;
  documentPrefix?: string;
}

export const DEFAULT_ENDPOINT: EndpointOptions = { model: 'default', batchSize: 64, concurrency: 4, retries: 5, backoffMs: 250, timeoutMs: 60_000 };

export function isEndpoint(model: string): boolean {
  return /^https?:\/\//i.test(model);
}

/** The URL as it may be shown: no user or password. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(an invalid URL)';
  }
}

export class EndpointEmbedder {
  private constructor(readonly url: string, readonly dim: number, private readonly o: EndpointOptions, private readonly openai: boolean, private readonly basicAuth?: string) {}

  static async connect(url: string, options: Partial<EndpointOptions> = {}): Promise<EndpointEmbedder> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`--model ${displayUrl(url)}: not a valid URL`);
    }
    if (!['http:', 'https:'].includes(parsed.protocol)) throw new Error(`--model ${displayUrl(url)}: only http and https endpoints`);
    const o = { ...DEFAULT_ENDPOINT, ...options };
    // credentials in the URL travel as Basic authentication, never in the URL itself
    const basicAuth = parsed.username || parsed.password ? Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64') : undefined;
    const base = displayUrl(url);
    const openai = /\/v1$/.test(base);
    const probe = new EndpointEmbedder(base, 0, o, openai, basicAuth);
    const [v] = await probe.request(['dimension']);
    return new EndpointEmbedder(base, v!.length, o, openai, basicAuth);
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    return this.embedAll(texts.map((t) => (this.o.documentPrefix ?? '') + t));
  }

  embedQueries(texts: string[]): Promise<Float32Array[]> {
    return this.embedAll(texts.map((t) => (this.o.queryPrefix ?? '') + t));
  }

  private async embedAll(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = new Array(texts.length);
    let next = 0;
    const worker = async () => {
      while (next < texts.length) {
        const start = next;
        next += this.o.batchSize;
        const vectors = await this.request(texts.slice(start, start + this.o.batchSize));
        vectors.forEach((v, i) => {
          if (this.dim && v.length !== this.dim) throw new Error(`${displayUrl(this.url)}: a ${v.length}-d embedding after ${this.dim}-d ones; the endpoint changed model mid-corpus`);
          out[start + i] = v;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, Math.ceil(texts.length / this.o.batchSize)) }, worker));
    return out;
  }

  /** One batch, retried on 429, 5xx and network errors. */
  private async request(texts: string[]): Promise<Float32Array[]> {
    const target = this.openai ? `${this.url}/embeddings` : `${this.url}/embed`;
    const body = JSON.stringify(this.openai ? { input: texts, model: this.o.model } : { inputs: texts });
    const auth = this.o.apiKey ? `Bearer ${this.o.apiKey}` : this.basicAuth ? `Basic ${this.basicAuth}` : undefined;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) };
    for (let attempt = 0; ; attempt++) {
      let status = 0, message = '', retryAfter: number | undefined;
      try {
        const r = await fetch(target, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.o.timeoutMs) });
        status = r.status;
        const text = await r.text();
        if (r.ok) return this.vectorsOf(text, texts.length);
        message = errorMessage(text);
        const after = Number(r.headers.get('retry-after'));
        if (Number.isFinite(after) && after >= 0) retryAfter = after * 1000;
      } catch (e) {
        if ((e as Error).message.startsWith(displayUrl(this.url))) throw e;
        message = (e as Error).name === 'TimeoutError' ? `no answer in ${this.o.timeoutMs} ms` : (e as Error).cause ? String(((e as Error).cause as Error).message ?? (e as Error).cause) : (e as Error).message;
      }
      const retriable = status === 0 || status === 429 || status >= 500;
      if (!retriable || attempt >= this.o.retries) {
        throw new Error(`${displayUrl(target)}: ${status ? `HTTP ${status}` : 'request failed'}${message ? `: ${message}` : ''}${retriable ? ` (after ${attempt + 1} tries)` : ''}`);
      }
      await new Promise((resolve) => setTimeout(resolve, retryAfter ?? Math.min(30_000, this.o.backoffMs * 2 ** attempt)));
    }
  }

  private vectorsOf(text: string, count: number): Float32Array[] {
    const fail = (what: string) => new Error(`${displayUrl(this.url)}: ${what}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw fail('the answer is not JSON');
    }
    const rows = this.openai
      ? (json as { data?: { index?: number; embedding?: unknown }[] }).data?.slice().sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => d.embedding)
      : json;
    if (!Array.isArray(rows) || rows.length !== count) throw fail(`expected ${count} embeddings, the answer holds ${Array.isArray(rows) ? rows.length : 'none'}`);
    return rows.map((row) => {
      if (!Array.isArray(row) || !row.length || !row.every((x) => typeof x === 'number' && Number.isFinite(x))) throw fail('an embedding is not a list of finite numbers');
      const v = Float32Array.from(row as number[]);
      let s = 0;
      for (const x of v) s += x * x;
      const n = Math.sqrt(s) || 1;
      for (let i = 0; i < v.length; i++) v[i]! /= n;
      return v;
    });
  }
}

/** The message of an OpenAI, TEI or inbatch error body, or its start. */
function errorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof j.error === 'object' && j.error !== null) return String((j.error as { message?: unknown }).message ?? '');
    if (typeof j.message === 'string') return j.message;
    if (typeof j.error === 'string') return j.error;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 200);
}
