// HangUp, which stops a synchronous route's wait when its client goes away before the answer.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { HangUp } from './job-wait.ts';

class FakeRaw extends EventEmitter {
  writableFinished = false;
}

describe('HangUp', () => {
  it('tells the waiting listener once when the connection closes before the answer was sent', () => {
    const raw = new FakeRaw();
    const hangUp = new HangUp(raw);
    let calls = 0;
    hangUp.on(() => calls++);
    expect(hangUp.hungUp).toBe(false);
    raw.emit('close');
    raw.emit('close');
    expect(hangUp.hungUp).toBe(true);
    expect(calls).toBe(1);
  });

  it('is no hang-up when the connection closes after the answer was sent', () => {
    const raw = new FakeRaw();
    const hangUp = new HangUp(raw);
    let calls = 0;
    hangUp.on(() => calls++);
    raw.writableFinished = true;
    raw.emit('close');
    expect(hangUp.hungUp).toBe(false);
    expect(calls).toBe(0);
  });

  it('tells no listener that was taken off, and only the latest one put on', () => {
    const raw = new FakeRaw();
    const hangUp = new HangUp(raw);
    const heard: string[] = [];
    const first = () => heard.push('first');
    const second = () => heard.push('second');
    hangUp.on(first);
    hangUp.on(second);
    hangUp.off(first); // not the current one: leaves `second` on
    raw.emit('close');
    expect(heard).toEqual(['second']);

    const other = new FakeRaw();
    const quiet = new HangUp(other);
    quiet.on(first);
    quiet.off(first);
    other.emit('close');
    expect(quiet.hungUp).toBe(true);
    expect(heard).toEqual(['second']);
  });
});
