import { describe, expect, it } from 'vitest';
import { CodedError } from './coded-error.ts';

class ThingError extends CodedError<'thing.broken' | 'thing.gone', { id?: string }> {}

describe('CodedError', () => {
  it('carries its code, detail, cause and the subclass name', () => {
    const cause = new Error('underneath');
    const error = new ThingError('thing.broken', 'the thing broke', { id: 't1' }, { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toMatchObject({ name: 'ThingError', code: 'thing.broken', message: 'the thing broke', detail: { id: 't1' } });
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('ThingError: the thing broke');
  });

  it('has an empty detail by default', () => {
    expect(new ThingError('thing.gone', 'gone').detail).toEqual({});
  });
});
