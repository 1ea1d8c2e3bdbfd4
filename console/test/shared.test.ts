import { describe, expect, it } from 'vitest';
// The code the console shares with the CLI (src/app/shared/), on its own.
import { bytes, clock, RateMeter, SseParser, titleOf, tusFailure } from '../src/app/shared/index.ts';

describe('SseParser', () => {
  it('returns the data of each complete event, across chunks and line endings', () => {
    const parser = new SseParser();
    expect(parser.push(': hello\n\ndata: {"a":')).toEqual([]);
    expect(parser.push('1}\n\nevent: x\r\ndata: one\r\ndata:two\r\n\r\nid: 3\n\n')).toEqual(['{"a":1}', 'one\ntwo']);
    expect(parser.push('data: tail')).toEqual([]);
    expect(parser.push('\n\n')).toEqual(['tail']);
  });
});

describe('format', () => {
  it('bytes', () => {
    expect([0, 1023, 1536, 10 * 1024 * 1024, 3 * 1024 ** 3, 2 * 1024 ** 5].map(bytes)).toEqual([
      '0 B',
      '1023 B',
      '1.5 KB',
      '10 MB',
      '3.0 GB',
      '2048 TB',
    ]);
  });
  it('clock', () => {
    expect([0, 75, 75.9, 3725, -1, Number.NaN].map(clock)).toEqual(['0:00', '1:15', '1:15', '1:02:05', '0:00', '0:00']);
  });
});

describe('uploads', () => {
  it('titleOf', () => {
    expect(titleOf('Big_Buck.Bunny.mp4')).toBe('Big Buck Bunny');
    expect(titleOf('___.mp4')).toBe('Untitled');
    expect(titleOf('___.mp4', '___.mp4')).toBe('___.mp4');
  });
  it('tusFailure', () => {
    const response = (body: string) => ({ getBody: () => body, getStatus: () => 413 });
    expect(tusFailure({ message: 'x', originalResponse: response('{"error":{"message":"too big"}}') })).toEqual({
      noResponse: false,
      message: 'x',
      apiMessage: 'too big',
      status: 413,
    });
    expect(tusFailure({ message: 'x', originalResponse: response('<html>') })).toEqual({ noResponse: false, message: 'x' });
    expect(tusFailure({ message: 'tus: failed', originalResponse: null })).toEqual({ noResponse: true, message: 'tus: failed' });
  });
  it('RateMeter', () => {
    const meter = new RateMeter();
    expect(meter.add(0, 1000)).toBeUndefined();
    expect(meter.add(1000, 1500)).toBe(2000);
    expect(meter.add(5000, 10_000)).toBeCloseTo((4000 * 1000) / 8500); // the sample older than 5 s is dropped;
  });
});
