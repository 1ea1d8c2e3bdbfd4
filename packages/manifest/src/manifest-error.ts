import { CodedError } from '@vought/errors';

export type ManifestErrorCode = 'manifest.invalid_query' | 'manifest.no_match' | 'manifest.not_found';

/** The one error class of @vought/manifest; `detail.parameter` names the query parameter at fault. */
export class ManifestError extends CodedError<ManifestErrorCode, { parameter?: string; [k: string]: unknown }> {}
