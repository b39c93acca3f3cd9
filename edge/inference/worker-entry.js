// Worker thread bootstrap: registers the TypeScript loader in this thread, then loads the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
