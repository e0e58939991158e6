import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig, settingNames } from '../../src/config/herald-config';

describe('loadConfig', () => {
  it('defaults to the embedded setup on one machine', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.temporal.address).toBeUndefined();
    expect(config.temporal.namespace).toBe('default');
    expect(config.temporal.uiUrl).toBe('http://localhost:8233');
    expect(config.dataDir).toBe(path.resolve('.herald'));
    expect(config.inboundMaxBodyBytes).toBe(4 * 1024 * 1024);
  });

  it('switches to external servers from the environment', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/herald', TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'prod', PORT: '8080' });
    expect(config.database.url).toBe('postgres://u:p@db:5432/herald');
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.temporal.namespace).toBe('prod');
    expect(config.temporal.uiUrl).toBeUndefined();
    expect(config.port).toBe(8080);
  });

  it('lists every problem at once, naming each setting', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'no-port', LOG_LEVEL: 'loud', HERALD_API_KEY: 'short' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'LOG_LEVEL', 'HERALD_API_KEY']) expect(problems).toContain(name);
  });

  it('requires TLS cert and key together', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/x.pem' })).toThrow(/TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH/);
  });

  it('the unsubscribe mailbox: off by default; one plain address; its listener settings need it', () => {
    expect(loadConfig({}).unsubscribeMailbox).toBeUndefined();
    expect(loadConfig({ UNSUBSCRIBE_MAILBOX: 'Unsubscribe@Mail.Example.com' }).unsubscribeMailbox).toEqual({ address: 'unsubscribe@mail.example.com', host: '127.0.0.1', port: 2525 });
    expect(loadConfig({ UNSUBSCRIBE_MAILBOX: 'u@x.test', INBOUND_SMTP_PORT: '0', INBOUND_SMTP_HOST: '0.0.0.0' }).unsubscribeMailbox).toEqual({ address: 'u@x.test', host: '0.0.0.0', port: 0 });
    for (const bad of ['not-an-address', 'a@b.test, c@d.test', 'Name <a@b.test>', 'a@b.test?subject=x', 'a b@c.test']) {
      expect(() => loadConfig({ UNSUBSCRIBE_MAILBOX: bad })).toThrow(/UNSUBSCRIBE_MAILBOX/);
    }
    expect(() => loadConfig({ UNSUBSCRIBE_MAILBOX: 'u@x.test', INBOUND_SMTP_PORT: '70000' })).toThrow(/INBOUND_SMTP_PORT/);
    expect(() => loadConfig({ INBOUND_SMTP_PORT: '2525' })).toThrow(/set UNSUBSCRIBE_MAILBOX too/);
  });

  it('.env.example documents exactly the settings Herald reads', () => {
    const example = fs.readFileSync(path.resolve(__dirname, '../../.env.example'), 'utf8');
    const documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual([...settingNames()].sort());
  });
});
