import type { FastifyReply } from 'fastify';
// The service's one closed error vocabulary, mapped to HTTP status codes in one place.
// Every error body is {"error": <kind>, "message": <what happened and what to do>}.
export const ERROR_STATUS = {
  validation: 400,
  unauthorized: 401,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  overloaded: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorKind = keyof typeof ERROR_STATUS;

export function errorBody(kind: ErrorKind, message: string): { error: ErrorKind; message: string } {
  return { error: kind, message };
}

/** The kind for a status code that a framework produced (body parsing, size limits, timeouts). */
export function kindOfStatus(status: number): ErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 429) return 'overloaded';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'internal';
  return 'validation';
}

/** Answers with an error of the vocabulary: its status code and body. */
export function fail(reply: FastifyReply, kind: ErrorKind, message: string): FastifyReply {
  return reply.status(ERROR_STATUS[kind]).send(errorBody(kind, message));
}
