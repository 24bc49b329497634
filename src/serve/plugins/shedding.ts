// Load shedding: embedding work beyond --max-concurrent-requests is refused at once (429), not
// queued without bound. A route opts in with this preHandler.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServeContext } from '../context.js';
import { fail } from '../errors.js';

export function shedding(ctx: ServeContext): (req: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  const most = ctx.options.maxConcurrentRequests ?? 0;
  return async (_req, reply) => {
    if (most > 0 && ctx.working >= most) return fail(reply, 'overloaded', `more than ${most} requests at once; retry later`);
    ctx.working++;
    reply.raw.once('close', () => { ctx.working--; });
    return undefined;
  };
}
