import * as fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__heraldTestServers as
    | { pg: { stop(): Promise<void> }; temporal: { stop(): Promise<void> }; rootDir: string }
    | undefined;
  if (!servers) return;
  await Promise.allSettled([servers.temporal.stop(), servers.pg.stop()]);
  fs.rmSync(servers.rootDir, { recursive: true, force: true });
}
