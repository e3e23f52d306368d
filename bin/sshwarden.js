#!/usr/bin/env node
// npm "bin" entry: runs the TypeScript sources directly (Node >= 22.18 strips types natively).
await import('../src/cli/main.ts');
