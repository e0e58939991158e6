import autocannon from 'autocannon';
import { identifyEvent } from './events';

/**
 * The identify stream's load generator, run as a child process of the bench (`node
 * dist/bench/loadgen.js '<json>'`) so that autocannon does not share the API's event loop and its
 * CPU is counted apart. Prints one JSON line: autocannon's result and its own CPU seconds.
 */
export interface LoadgenArgs {
  url: string;
  key: string;
  connections: number;
  seconds: number;
  tag: string;
}

async function main() {
  const args = JSON.parse(process.argv[2]) as LoadgenArgs;
  let n = 0;
  const result = await autocannon({
    url: args.url,
    connections: args.connections,
    duration: args.seconds,
    headers: { Authorization: `Bearer ${args.key}`, 'Content-Type': 'application/json' },
    requests: [{ method: 'POST', path: '/inbound/rudderstack', setupRequest: (req) => ({ ...req, body: JSON.stringify(identifyEvent(args.tag, n++)) }) }],
  });
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ result, posted: n, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
