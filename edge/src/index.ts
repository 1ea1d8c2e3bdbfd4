export { startEdge, type RunningEdge } from './edge-service.ts';
