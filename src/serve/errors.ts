import type { FastifyReply, FastifyRequest } from 'fastify';
// The service's one closed error vocabulary, mapped to HTTP status codes and bodies in one place.
// Each route family answers in the shape its clients parse:
//   inbatch  {"error": <kind>, "message": "..."}                                      (inbatch's own routes)
//   openai   {"error": {"message", "type", "param", "code": <kind>}}                  (/v1/*: the OpenAI SDK,
//            LangChain and LlamaIndex read error.message, .type, .param and .code from it)
//   tei      {"error": "...", "error_type": "Validation" | ...}, validation as 422     (TEI's own routes, and a TEI body
//            on a shared one: {"inputs"}, no "texts")
export const ERROR_STATUS = {
  validation: 400,
  unauthorized: 401,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  overloaded: 429,
  /** what this model cannot do (TEI answers 424: an export without per-token outputs asked for them) */
  unsupported_by_model: 424,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorKind = keyof typeof ERROR_STATUS;
export type ErrorDialect = 'inbatch' | 'openai' | 'tei';

const OPENAI_TYPE: Record<ErrorKind, string> = {
  validation: 'invalid_request_error', unauthorized: 'authentication_error', not_found: 'invalid_request_error',
  payload_too_large: 'invalid_request_error', unsupported_media_type: 'invalid_request_error', overloaded: 'rate_limit_error', unsupported_by_model: 'invalid_request_error',
  internal: 'server_error', unavailable: 'server_error',
};

/** TEI's ErrorType and status per kind (TEI answers validation errors with 422). */
const TEI: Record<ErrorKind, [string, number]> = {
  validation: ['Validation', 422], unauthorized: ['Unauthorized', 401], not_found: ['Validation', 404],
  payload_too_large: ['Validation', 413], unsupported_media_type: ['Validation', 415], overloaded: ['Overloaded', 429], unsupported_by_model: ['Backend', 424],
  internal: ['Backend', 500], unavailable: ['Unhealthy', 503],
};

export function errorBody(kind: ErrorKind, message: string): { error: ErrorKind; message: string } {
  return { error: kind, message };
}

/** Which clients a request comes from: OpenAI's routes, a TEI body ({"inputs": ...}), or inbatch's own. */
const OPENAI_ROUTES = /^\/(v1\/|embeddings(\?|$))/;
const TEI_ROUTES = /^\/(embed_all|tokenize|decode)?(\?|$)/;

export function dialectOf(req: FastifyRequest): ErrorDialect {
  if (OPENAI_ROUTES.test(req.url)) return 'openai';
  if (TEI_ROUTES.test(req.url) && req.method === 'POST') return 'tei';
  const body = req.body as Record<string, unknown> | undefined;
  return body && typeof body === 'object' && Object.hasOwn(body, 'inputs') && !Object.hasOwn(body, 'texts') ? 'tei' : 'inbatch';
}

/** The status and body of an error for a dialect; `param` is the request field at fault, where one is. */
export function errorResponse(dialect: ErrorDialect, kind: ErrorKind, message: string, param: string | null = null): { status: number; body: object } {
  if (dialect === 'openai') return { status: ERROR_STATUS[kind], body: { error: { message, type: OPENAI_TYPE[kind], param, code: kind } } };
  if (dialect === 'tei') return { status: TEI[kind][1], body: { error: message, error_type: TEI[kind][0] } };
  return { status: ERROR_STATUS[kind], body: errorBody(kind, message) };
}

/** The kind for a status code that a framework produced (body parsing, size limits, timeouts). */
export function kindOfStatus(status: number): ErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 429) return 'overloaded';
  if (status === 424) return 'unsupported_by_model';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'internal';
  return 'validation';
}

/** Answers with an error of the vocabulary, in the shape of the request's clients. */
export function fail(reply: FastifyReply, kind: ErrorKind, message: string, param: string | null = null): FastifyReply {
  const { status, body } = errorResponse(dialectOf(reply.request), kind, message, param);
  return reply.status(status).send(body);
}
