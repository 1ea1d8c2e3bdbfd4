export { renditionsOf, startEncodeConsumer } from './encode-consumer.ts';
export { type RunningEncoder, startEncoder } from './encoder-service.ts';
export { type FfmpegTools, locateFfmpeg } from './ffmpeg-locator.ts';
export { planLadder } from './ladder-planner.ts';
export { type ProcessOptions, type ProcessResult, processVideo } from './video-processor.ts';
