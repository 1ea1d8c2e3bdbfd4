import { CodedError } from '@vought/errors';

export type MediaErrorCode = 'media.truncated' | 'media.malformed' | 'media.unsupported' | 'media.limit';

/** The one error class of @vought/media: a code, and the box and file offset at fault (named in the message too). */
export class MediaError extends CodedError<MediaErrorCode, { box?: string; offset?: number; [k: string]: unknown }> {
  constructor(code: MediaErrorCode, message: string, detail: { box?: string; offset?: number; [k: string]: unknown } = {}) {
    const { box, offset } = detail;
    const at = [box ? `box ${box}` : '', offset !== undefined ? `offset ${offset}` : ''].filter(Boolean).join(', ');
    super(code, at ? `${message} (${at})` : message, detail);
  }
}
