import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isAddressAllowed, parseCidrList } from './private-networks';

/**
 * node:http(s) agents whose DNS lookup refuses addresses outside the allow list, for clients
 * that bring their own HTTP stack (the RudderStack SDK uses axios). Same rule as safeFetch.
 */
export function guardedAgents(allowPrivateNetworks: string[]): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const allow = parseCidrList(allowPrivateNetworks);
  const lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const refused = list.find((a) => !isAddressAllowed(a.address, allow));
      if (refused) {
        const error = Object.assign(new Error(`refused: ${hostname} resolves to ${refused.address}, a private address; allow it with HERALD_ALLOW_PRIVATE_NETWORKS`), { code: 'EREFUSED_PRIVATE' });
        return callback(error, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };
  return { httpAgent: new http.Agent({ keepAlive: false, lookup }), httpsAgent: new https.Agent({ keepAlive: false, lookup }) };
}
