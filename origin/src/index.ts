export { startOrigin, type RunningOrigin, type StartOriginOptions } from './origin-service.ts';
export { createOriginApp, type OriginDeps } from './app.ts';
