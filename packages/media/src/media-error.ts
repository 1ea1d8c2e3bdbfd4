export type MediaErrorCode = 'media.truncated' | 'media.malformed' | 'media.unsupported' | 'media.limit';

/** The one error class of @vought/media: a code, and the box and file offset at fault. */
export class MediaError extends Error {
  override readonly name = 'MediaError';
  constructor(
    readonly code: MediaErrorCode,
    message: string,
    readonly detail: { box?: string; offset?: number; [k: string]: unknown } = {},
  ) {
    super(
      `${message}${detail.box ? ` (box ${detail.box}` : ''}${detail.offset !== undefined ? `${detail.box ? ', ' : ' ('}offset ${detail.offset})` : detail.box ? ')' : ''}`,
    );
  }
}
