import * as fs from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { HeraldConfig } from '../config/herald-config';

/** Address, TLS and API key for both the client Connection and the worker NativeConnection. */
export function temporalConnectionOptions(config: HeraldConfig['temporal'], address: string) {
  let tls: TLSConfig | boolean | undefined;
  if (config.tls) {
    tls = {
      clientCertPair:
        config.tlsCertPath && config.tlsKeyPath
          ? { crt: fs.readFileSync(config.tlsCertPath), key: fs.readFileSync(config.tlsKeyPath) }
          : undefined,
      serverRootCACertificate: config.tlsCaPath ? fs.readFileSync(config.tlsCaPath) : undefined,
    };
  }
  return { address, tls, apiKey: config.apiKey };
}
