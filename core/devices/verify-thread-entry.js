// Signature thread bootstrap: registers the TypeScript loader in this thread, then loads the thread.
import { register } from 'tsx/esm/api';

register();
await import('./verify-thread.ts');
