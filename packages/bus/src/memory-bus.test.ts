import { describe, expect, it } from 'vitest';
import { busContract } from './bus.contract.ts';
import { MemoryBus } from './memory-bus.ts';
import { subjectMatches } from './subject-matcher.ts';

busContract('memory', async () => {
  const bus = new MemoryBus();
  return { bus, cleanup: () => bus.close() };
});

describe('subjectMatches', () => {
  it.each([
    ['a.b', 'a.b', true],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['*.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['>', 'a', true],
  ])('%s ~ %s = %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});
