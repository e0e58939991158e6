/**
 * Named fault points for the fault tests: with HERALD_FAULT_INJECTION=<point>:kill the process
 * dies (SIGKILL) when it reaches that point, as a crashing worker would. Unset in production:
 * every call is a string comparison and nothing else.
 */
export function faultPoint(point: string): void {
  const spec = process.env.HERALD_FAULT_INJECTION;
  if (!spec) return;
  for (const entry of spec.split(',')) {
    const [name, action] = entry.split(':');
    if (name === point && action === 'kill') process.kill(process.pid, 'SIGKILL');
  }
}
