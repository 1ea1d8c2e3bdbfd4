#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so that `npx vought` works right after `npm ci`, no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
