// Live progress as Server-Sent Events: one job's events (replayed from the database, then live)
// and a tenant-wide live stream, all fed by one shared Redis subscription per process.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InputError, NotFoundError, isTerminal, parseInput } from '@mediagate/core';
import { toMessage, type EventMessage, type Runtime } from '@mediagate/engine';
import { EventHub, type EventHubStats } from './event-hub.ts';
import { JobFeed } from './job-feed.ts';
import { tenantOf } from './routes-jobs.ts';
import { SseStream } from './sse.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });
const afterQuery = z.object({ after: z.coerce.number().int().min(0).optional() }).strict();
const noQuery = z.object({}).strict();

const eventStream = 'text/event-stream';

type ConstraintStrategy = Parameters<FastifyInstance['addConstraintStrategy']>[0];
type RouteHandle = NonNullable<ReturnType<ReturnType<ConstraintStrategy['storage']>['get']>>;

/**
 * Routes a request to the SSE handler when it accepts `text/event-stream`; other requests to
 * the same path keep reaching the JSON handler registered without this constraint.
 */
const acceptConstraint: ConstraintStrategy = {
  name: 'accept',
  storage() {
    const handlers = new Map<unknown, RouteHandle>();
    return {
      get: (value) => handlers.get(value) ?? null,
      set: (value, handler) => void handlers.set(value, handler),
    };
  },
  deriveConstraint: (request: IncomingMessage) => (request.headers.accept?.includes(eventStream) ? eventStream : undefined),
  mustMatchWhenDerived: false,
};

const hubStats = new WeakMap<FastifyInstance, () => EventHubStats>();

/** Listener counts of the app's live-event hub, for tests and diagnostics. */
export function eventHubStats(app: FastifyInstance): EventHubStats {
  return hubStats.get(app)?.() ?? { subscribed: false, jobListeners: 0, tenantListeners: 0 };
}

/**
 * The seq the client already has: `Last-Event-ID` (what a reconnecting EventSource sends, so it
 * wins) or `?after=N`. A tenant-stream id `<jobId>:<seq>` of this job is accepted too.
 */
function resumePoint(request: FastifyRequest, jobId: string): { seq: number; field: string } {
  const { after } = parseInput(afterQuery, request.query);
  const header = request.headers['last-event-id'];
  if (typeof header !== 'string' || header.trim() === '') return { seq: after ?? 0, field: 'after' };
  const match = /^(?:(.+):)?(\d{1,15})$/.exec(header.trim());
  if (match === null || (match[1] !== undefined && match[1] !== jobId)) {
    throw new InputError('Last-Event-ID: expected the seq of an event of this job (a whole number)', { field: 'last-event-id' });
  }
  return { seq: Number(match[2]), field: 'last-event-id' };
}

export function registerEventRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { repo } = runtime;
  let hub: EventHub | undefined;
  const sharedHub = () => (hub ??= new EventHub(runtime.bus, (error) => app.log.warn({ err: error }, 'live event listener failed')));
  hubStats.set(app, () => hub?.stats() ?? { subscribed: false, jobListeners: 0, tenantListeners: 0 });
  const streams = new Set<SseStream>();

  function openStream(stream: SseStream): void {
    stream.open();
    streams.add(stream);
    stream.onClose(() => streams.delete(stream));
  }

  const loadMessages = async (jobId: string, afterSeq: number, tenantId: string): Promise<EventMessage[]> =>
    (await repo.listEvents(jobId, afterSeq, tenantId)).map(toMessage);

  app.addConstraintStrategy(acceptConstraint);
  // Open streams would hold the server's close forever; end them first (clients may reconnect elsewhere).
  app.addHook('preClose', async () => {
    for (const stream of [...streams]) stream.end();
  });
  app.addHook('onClose', async () => {
    await hub?.close();
  });

  app.get('/v1/jobs/:id/events', { constraints: { accept: eventStream } }, async (request, reply) => {
    const { id } = parseInput(idParams, request.params);
    const tenantId = tenantOf(request);
    const resume = resumePoint(request, id);
    const job = await repo.getJob(id, tenantId);
    if (job === undefined) throw new NotFoundError('job', id);
    const finished = isTerminal(job.status);

    const feed: JobFeed = new JobFeed({
      afterSeq: resume.seq,
      load: (after) => loadMessages(id, after, tenantId),
      deliver: (message) => stream.send(String(message.seq), message),
      // Next turn: a terminal event reaches every client of the job before any stream pays for closing.
      onTerminal: () => setImmediate(() => stream.end()),
      onError: (error) => request.log.warn({ err: error, jobId: id }, 'reading job events for a stream failed'),
    });
    // The heartbeat also reads the database, in case the live feed lost a message.
    const stream = new SseStream(reply, { onHeartbeat: () => void feed.catchUp() });
    // Subscribed before the replay is read, so every event is in the replay or arrives live
    // (the feed holds live messages until the replay is out and drops the ones it repeats).
    const stopListening = finished ? () => {} : await sharedHub().listenToJob(id, (message) => feed.offer(message));
    let replay: EventMessage[];
    try {
      // From the client's own last event, to tell an id this job never had from one it did.
      replay = await loadMessages(id, Math.max(0, resume.seq - 1), tenantId);
      if (resume.seq > 0 && replay[0]?.seq !== resume.seq) {
        throw new InputError(`${resume.field}: job ${id} has no event ${resume.seq}`, { field: resume.field });
      }
    } catch (error) {
      stopListening();
      throw error;
    }
    if (finished && replay.length <= (resume.seq > 0 ? 1 : 0)) {
      // 204 tells an EventSource that reconnected after the end to stop reconnecting.
      return reply.status(204).send();
    }

    openStream(stream);
    stream.onClose(stopListening);
    feed.start(replay);
    if (finished) stream.end();
  });

  // Live only: events a client missed while disconnected are replayed by the per-job stream.
  app.get('/v1/events', async (request, reply) => {
    parseInput(noQuery, request.query);
    const tenantId = tenantOf(request);
    const stream = new SseStream(reply);
    const stopListening = await sharedHub().listenToTenant(tenantId, (message) => stream.send(`${message.jobId}:${message.seq}`, message));
    openStream(stream);
    stream.onClose(stopListening);
  });
}
