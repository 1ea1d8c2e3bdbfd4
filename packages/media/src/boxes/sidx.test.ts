import { describe, expect, it } from 'vitest';
import { parseSidxBox, type Sidx, sidxSize, writeSidx } from './sidx.ts';

describe('sidx', () => {
  it('round-trips: what writeSidx writes, readSidx reads back equal', () => {
    const sidx: Sidx = {
      referenceId: 1,
      timescale: 90000,
      earliestPresentationTime: 2 ** 40,
      firstOffset: 0,
      references: [
        { size: 123456, duration: 180000, startsWithSap: true },
        { size: 654321, duration: 179999, startsWithSap: true },
        { size: 1, duration: 1, startsWithSap: false },
      ],
    };
    const bytes = writeSidx(sidx);
    expect(bytes.length).toBe(sidxSize(3));
    expect(Buffer.from(bytes.subarray(4, 8)).toString()).toBe('sidx');
    expect(parseSidxBox(bytes)).toEqual(sidx);
  });

  it('refuses a reference count that does not fit', () => {
    const bytes = writeSidx({
      referenceId: 1,
      timescale: 1,
      earliestPresentationTime: 0,
      firstOffset: 0,
      references: [{ size: 1, duration: 1, startsWithSap: true }],
    });
    new DataView(bytes.buffer).setUint16(bytes.length - 14, 60000);
    expect(() => parseSidxBox(bytes)).toThrow(/count/);
  });
});
