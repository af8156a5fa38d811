// The ordering rules of one job's stream, without Redis: the live feed may repeat, reorder or
// lose messages, and the client must still see 1, 2, 3… once each, ending at the terminal event.
import { describe, expect, it } from 'vitest';
import type { EventMessage } from '@mediagate/engine';
import { JobFeed } from './job-feed.ts';

const types: EventMessage['type'][] = ['queued', 'attempt', 'submitted', 'progress', 'progress', 'succeeded'];

function message(seq: number): EventMessage {
  return { jobId: 'job_1', tenantId: 'ten_default', seq, type: types[seq - 1] ?? 'progress', data: {}, createdAt: new Date(0).toISOString() };
}

/** A feed over a fake database holding events 1..`recorded`, with what it delivered. */
function harness(afterSeq: number, recorded: { count: number }) {
  const delivered: number[] = [];
  const loads: number[] = [];
  let ended = 0;
  const feed = new JobFeed({
    afterSeq,
    load: async (after) => {
      loads.push(after);
      return Array.from({ length: Math.max(0, recorded.count - after) }, (_, index) => message(after + index + 1));
    },
    deliver: (event) => delivered.push(event.seq),
    onTerminal: () => (ended += 1),
    onError: (error) => {
      throw error;
    },
  });
  return { feed, delivered, loads, ended: () => ended };
}

describe('JobFeed', () => {
  it('holds live messages until the replay is out, then drops the ones the replay covered', () => {
    const { feed, delivered } = harness(1, { count: 3 });
    feed.offer(message(3));
    feed.offer(message(4));
    expect(delivered).toEqual([]);
    feed.start([message(2), message(3)]);
    expect(delivered).toEqual([2, 3, 4]);
    feed.offer(message(4));
    feed.offer(message(2));
    expect(delivered).toEqual([2, 3, 4]);
  });

  it('puts reordered live messages back in order', async () => {
    const recorded = { count: 2 };
    const { feed, delivered } = harness(0, recorded);
    feed.start([message(1), message(2)]);
    recorded.count = 4;
    feed.offer(message(4));
    feed.offer(message(3));
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual([1, 2, 3, 4]);
  });

  it('reads a lost message from the database when a later one shows the gap', async () => {
    const recorded = { count: 5 };
    const { feed, delivered, loads } = harness(0, recorded);
    feed.start([message(1), message(2)]);
    feed.offer(message(5));
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads).toEqual([2]);
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
  });

  it('finds a lost terminal event on the idle check and ends once', async () => {
    const recorded = { count: 5 };
    const { feed, delivered, ended } = harness(0, recorded);
    feed.start([message(1), message(2), message(3), message(4), message(5)]);
    recorded.count = 6;
    await feed.catchUp();
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ended()).toBe(1);
    feed.offer(message(6));
    await feed.catchUp();
    expect(ended()).toBe(1);
  });
});
