export { type Container, DEMUXER_OF, type Demuxer, type SniffVerdict, sniffContainer, sniffFile } from './container-sniffer.ts';
export { renditionsOf, startEncodeConsumer } from './encode-consumer.ts';
export { ENCODE_LIMITS, type EncodeLimits } from './encode-limits.ts';
export { type RunningEncoder, startEncoder } from './encoder-service.ts';
export { type FfmpegTools, locateFfmpeg } from './ffmpeg-locator.ts';
export { planLadder } from './ladder-planner.ts';
export { publicMessage } from './public-message.ts';
export { type ProcessOptions, type ProcessResult, processVideo } from './video-processor.ts';
