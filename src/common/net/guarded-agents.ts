import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { parseCidrList, Cidr } from './private-networks';
import { guardedLookup, refusedLiteralHost, refusedSocket } from './safe-fetch';

type CreateConnection = (options: Record<string, unknown>, callback: (err: Error | null, socket?: Duplex) => void) => Duplex | undefined;

/**
 * node:http(s) agents for clients that bring their own HTTP stack (the RudderStack SDK uses
 * axios), guarded exactly as safeFetch is: literal IP hosts are checked before connecting (Node
 * skips `lookup` for them), names through the same `lookup`, and the connected socket's address
 * last. Keep-alive is off, so every request connects (and is checked) again.
 */
export function guardedAgents(allowPrivateNetworks: string[]): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const allow = parseCidrList(allowPrivateNetworks);
  return { httpAgent: guard(new http.Agent({ keepAlive: false }), allow), httpsAgent: guard(new https.Agent({ keepAlive: false }), allow) };
}

function guard<A extends http.Agent>(agent: A, allow: Cidr[]): A {
  const base = (agent as unknown as { createConnection: CreateConnection }).createConnection.bind(agent);
  const createConnection: CreateConnection = (options, callback) => {
    const host = String(options.host ?? options.hostname ?? 'localhost');
    const literal = refusedLiteralHost(host, allow);
    if (literal) {
      process.nextTick(() => callback(literal));
      return undefined;
    }
    const socket = base({ ...options, lookup: guardedLookup(allow) }, () => undefined) as Socket;
    socket.once('connect', () => {
      const refused = refusedSocket(host, socket, allow);
      if (refused) socket.destroy(refused);
    });
    return socket;
  };
  (agent as unknown as { createConnection: CreateConnection }).createConnection = createConnection;
  return agent;
}
