export { type RunningEdge, startEdge } from './edge-service.ts';
