import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  getMetadataStorage,
  validateSync,
} from 'class-validator';
import msParse from 'ms';
import * as path from 'node:path';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : ['1', 'true', 'yes', 'on'].includes(String(value).toLowerCase());
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Every setting Herald reads from the environment. `.env.example` lists the same names;
 * a test keeps the two in step.
 */
export class EnvironmentVariables {
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT?: number;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HOST?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_DATA_DIR?: string;

  @IsOptional() @Transform(emptyToUndefined) @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must start with postgres:// or postgresql://' })
  DATABASE_URL?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500)
  DATABASE_POOL_SIZE?: number;

  @IsOptional() @Transform(toBool) @IsBoolean()
  DATABASE_SSL?: boolean;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(65535)
  HERALD_POSTGRES_PORT?: number;

  @IsOptional() @Transform(emptyToUndefined) @Matches(/^[^\s:/]+:\d+$/, { message: 'TEMPORAL_ADDRESS must look like host:port' })
  TEMPORAL_ADDRESS?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  TEMPORAL_NAMESPACE?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  TEMPORAL_TASK_QUEUE?: string;

  @IsOptional() @Transform(toBool) @IsBoolean()
  TEMPORAL_TLS?: boolean;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  TEMPORAL_TLS_CERT_PATH?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  TEMPORAL_TLS_KEY_PATH?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  TEMPORAL_TLS_CA_PATH?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  TEMPORAL_API_KEY?: string;

  @IsOptional() @Transform(emptyToUndefined) @Matches(/^https?:\/\//, { message: 'TEMPORAL_UI_URL must be an http(s) URL' })
  TEMPORAL_UI_URL?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_TEMPORAL_BIN?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(65535)
  HERALD_TEMPORAL_PORT?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(65535)
  HERALD_TEMPORAL_UI_PORT?: number;

  @IsOptional() @Transform(emptyToUndefined) @Matches(/^hk_[A-Za-z0-9_-]{16,}$/, { message: 'HERALD_API_KEY must look like hk_ followed by at least 16 letters, digits, _ or -' })
  HERALD_API_KEY?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsIn(['auto', 'json', 'pretty'], { message: 'LOG_FORMAT must be auto, json or pretty' })
  LOG_FORMAT?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1024)
  INBOUND_MAX_BODY_BYTES?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(3600)
  RETRY_AFTER_SECONDS?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100_000_000)
  INBOUND_MAX_BACKLOG?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(256)
  INBOUND_SHARDS?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(5000)
  INBOUND_BATCH_SIZE?: number;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_SWEEP_INTERVAL?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_RECONCILE_AFTER?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_PUSH_RECEIPT_DELAY?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_RETAIN_EVENT_BODIES?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_RETAIN_MESSAGES?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_RETAIN_RUNS?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_RETAIN_OUTBOX?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_PRUNE_INTERVAL?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(100_000)
  HERALD_WORKER_MAX_CACHED_WORKFLOWS?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(2) @Max(1000)
  HERALD_WORKER_WORKFLOW_TASKS?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  HERALD_WORKER_LOCAL_ACTIVITIES?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  HERALD_WORKER_ACTIVITIES?: number;

  @IsOptional() @Transform(toBool) @IsBoolean()
  HERALD_EAGER_START?: boolean;

  @IsOptional() @Transform(emptyToUndefined) @Matches(/^\s*[0-9a-fA-F:.]+\/\d{1,3}\s*(,\s*[0-9a-fA-F:.]+\/\d{1,3}\s*)*$/, {
    message: 'HERALD_ALLOW_PRIVATE_NETWORKS must be a comma-separated list of CIDRs, e.g. 127.0.0.0/8,10.0.0.0/8',
  })
  HERALD_ALLOW_PRIVATE_NETWORKS?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  CANCEL_TOMBSTONE_TTL?: string;

  @IsOptional() @Transform(emptyToUndefined) @Matches(/^smtps?:\/\//, { message: 'SMTP_URL must look like smtp://user:pass@host:587 or smtps://...' })
  SMTP_URL?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  SMTP_FROM?: string;

  @IsOptional() @Transform(emptyToUndefined) @Matches(/^https?:\/\/[^\s]+$/, { message: 'HERALD_PUBLIC_URL must be an http(s) URL' })
  HERALD_PUBLIC_URL?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString() @Matches(/^.{32,}$/, { message: 'HERALD_TRACKING_SECRET must be at least 32 characters' })
  HERALD_TRACKING_SECRET?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString() @Matches(/^.{32,}$/, { message: 'HERALD_SEALING_KEY must be at least 32 characters' })
  HERALD_SEALING_KEY?: string;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  HERALD_SEALING_KEYS_PREVIOUS?: string;

  @IsOptional() @Transform(emptyToUndefined) @Matches(/^[A-Za-z0-9._+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63}){0,10}$/, {
    message: 'UNSUBSCRIBE_MAILBOX must be one plain email address, e.g. unsubscribe@mail.example.com (letters, digits, . _ + - before the @)',
  })
  UNSUBSCRIBE_MAILBOX?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  INBOUND_SMTP_PORT?: number;

  @IsOptional() @Transform(emptyToUndefined) @IsString()
  INBOUND_SMTP_HOST?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  HERALD_OUTBOUND_BATCH_SIZE?: number;


  @IsOptional() @Transform(toInt) @IsInt() @Min(20) @Max(40000)
  HERALD_EMITTER_MAX_HISTORY?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10000)
  HERALD_AUDIENCE_PAGE_SIZE?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  HERALD_AUDIENCE_PAGES_PER_RUN?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  HERALD_REPLAY_PAGE_SIZE?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  HERALD_REPLAY_PAGES_PER_RUN?: number;
}

export interface HeraldConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  /** auto: human-readable on a terminal, JSON lines otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  inboundMaxBodyBytes: number;
  retryAfterSeconds: number;
  inbound: {
    /** Unprocessed events per workspace above which inbound answers 429. */
    maxBacklog: number;
    /** Dispatcher shards per workspace; a recipient's events always go to one shard. */
    shards: number;
    /** Events a dispatcher claims per batch. */
    batchSize: number;
  };
  /** How often the maintenance schedule sweeps for work a crash left behind (ms). */
  sweepIntervalMs: number;
  /** How long a run or message may disagree with Temporal (never started, workflow gone) before the sweep settles it (ms). */
  reconcileAfterMs: number;
  /** How long data is kept (ms); the pruning job runs every `pruneIntervalMs`. */
  retention: {
    eventBodiesMs: number;
    messagesMs: number;
    runsMs: number;
    outboxMs: number;
    pruneIntervalMs: number;
  };
  worker: {
    maxCachedWorkflows: number;
    maxConcurrentWorkflowTasks: number;
    maxConcurrentLocalActivities: number;
    maxConcurrentActivities: number;
    /** Runs started by a worker process (dispatchers, invoke steps) ask for eager start: the first workflow task skips matching. */
    eagerStart: boolean;
  };
  /** CIDRs that user-configured outgoing HTTP (fetch-data, webhooks) may reach despite being private. */
  allowPrivateNetworks: string[];
  /** How long after a cancel a run starting with the same token is canceled at start (ms). */
  cancelTombstoneTtlMs: number;
  delivery: {
    /** SMTP server for the email channel; undefined: emails are printed to the log instead. */
    smtpUrl?: string;
    from: string;
    /** Base URL of this API as recipients reach it (tracking pixel and links). */
    publicUrl: string;
    /** Signs tracking tokens; undefined: a secret is generated once and kept in Postgres. */
    trackingSecret?: string;
    /** How old a push ticket must be before its receipt is asked for (Expo: receipts are ready within ~15 minutes). */
    pushReceiptDelayMs: number;
  };
  /**
   * Seals stored secrets (RudderStack write keys); kept outside Postgres: HERALD_SEALING_KEY, or
   * in `herald start` a key file in the data dir. `previous` still opens what older keys sealed.
   */
  sealing: { key?: string; previous: string[] };
  /**
   * The inbound unsubscribe mailbox (RFC 2369 `mailto:` in List-Unsubscribe): emails of
   * non-REQUIRED topics name `address`, and the API process listens for it with a small SMTP
   * server on host:port (no TLS, no auth: an MTA or TLS proxy belongs in front). Undefined: no
   * mailto entry, no listener.
   */
  unsubscribeMailbox?: { address: string; host: string; port: number };
  outbound: {
    /** Events per request to the data plane. */
    batchSize: number;
    /** History events after which the emitter continues as new. */
    maxHistory: number;
  };
  audiences: {
    /** Profiles per page (one activity) when a filter change recomputes an audience. */
    recomputePageSize: number;
    /** Pages per recompute workflow run before it continues as new. */
    recomputePagesPerRun: number;
  };
  replays: {
    /** Logged events per page (one activity) of a bulk replay. */
    pageSize: number;
    /** Pages per replay workflow run before it continues as new. */
    pagesPerRun: number;
  };
  /** Initial API key for the default workspace, if given. */
  initialApiKey?: string;
  database: {
    /** Undefined means: run the embedded Postgres under dataDir. */
    url?: string;
    poolSize: number;
    ssl: boolean;
    embeddedPort: number;
  };
  temporal: {
    /** Undefined means: run the embedded Temporal dev server under dataDir. */
    address?: string;
    namespace: string;
    taskQueue: string;
    tls: boolean;
    tlsCertPath?: string;
    tlsKeyPath?: string;
    tlsCaPath?: string;
    apiKey?: string;
    uiUrl?: string;
    binPath?: string;
    embeddedPort: number;
    embeddedUiPort: number;
  };
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): HeraldConfig {
  const known = Object.fromEntries(settingNames().map((k) => [k, env[k]]));
  const vars = plainToInstance(EnvironmentVariables, known);
  const errors = validateSync(vars, { skipMissingProperties: false });
  if (errors.length) {
    throw new ConfigError(
      errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`),
    );
  }
  const problems: string[] = [];
  if (Boolean(vars.TEMPORAL_TLS_CERT_PATH) !== Boolean(vars.TEMPORAL_TLS_KEY_PATH)) {
    problems.push('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together');
  }
  const ttl = parseDurationSetting('CANCEL_TOMBSTONE_TTL', vars.CANCEL_TOMBSTONE_TTL, 5_000, problems);
  const sweepMs = parseDurationSetting('HERALD_SWEEP_INTERVAL', vars.HERALD_SWEEP_INTERVAL, 15_000, problems);
  if (sweepMs < 1000) problems.push('HERALD_SWEEP_INTERVAL: must be at least 1s');
  const DAY = 24 * 3600_000;
  const duration = (name: keyof EnvironmentVariables, fallback: number) => parseDurationSetting(name, vars[name] as string | undefined, fallback, problems);
  const reconcileAfterMs = duration('HERALD_RECONCILE_AFTER', 120_000);
  const retention = {
    eventBodiesMs: duration('HERALD_RETAIN_EVENT_BODIES', 30 * DAY),
    messagesMs: duration('HERALD_RETAIN_MESSAGES', 90 * DAY),
    runsMs: duration('HERALD_RETAIN_RUNS', 90 * DAY),
    outboxMs: duration('HERALD_RETAIN_OUTBOX', 7 * DAY),
    pruneIntervalMs: duration('HERALD_PRUNE_INTERVAL', 3600_000),
  };
  if (!vars.UNSUBSCRIBE_MAILBOX && (vars.INBOUND_SMTP_PORT !== undefined || vars.INBOUND_SMTP_HOST)) {
    problems.push('INBOUND_SMTP_PORT and INBOUND_SMTP_HOST configure the unsubscribe mailbox: set UNSUBSCRIBE_MAILBOX too');
  }
  if (problems.length) throw new ConfigError(problems);

  const dataDir = path.resolve(vars.HERALD_DATA_DIR ?? '.herald');
  const embeddedPort = vars.HERALD_TEMPORAL_PORT ?? 7233;
  const embeddedUiPort = vars.HERALD_TEMPORAL_UI_PORT ?? 8233;
  return {
    port: vars.PORT ?? 3000,
    host: vars.HOST ?? '0.0.0.0',
    dataDir,
    logLevel: vars.LOG_LEVEL ?? 'info',
    logFormat: (vars.LOG_FORMAT ?? 'auto') as 'auto' | 'json' | 'pretty',
    inboundMaxBodyBytes: vars.INBOUND_MAX_BODY_BYTES ?? 4 * 1024 * 1024,
    retryAfterSeconds: vars.RETRY_AFTER_SECONDS ?? 5,
    inbound: {
      maxBacklog: vars.INBOUND_MAX_BACKLOG ?? 10_000,
      shards: vars.INBOUND_SHARDS ?? 4,
      batchSize: vars.INBOUND_BATCH_SIZE ?? 500,
    },
    sweepIntervalMs: sweepMs,
    reconcileAfterMs,
    retention,
    worker: {
      maxCachedWorkflows: vars.HERALD_WORKER_MAX_CACHED_WORKFLOWS ?? 500,
      maxConcurrentWorkflowTasks: vars.HERALD_WORKER_WORKFLOW_TASKS ?? 40,
      maxConcurrentLocalActivities: vars.HERALD_WORKER_LOCAL_ACTIVITIES ?? 40,
      maxConcurrentActivities: vars.HERALD_WORKER_ACTIVITIES ?? 40,
      eagerStart: vars.HERALD_EAGER_START ?? true,
    },
    allowPrivateNetworks: (vars.HERALD_ALLOW_PRIVATE_NETWORKS ?? '').split(',').map((c) => c.trim()).filter(Boolean),
    cancelTombstoneTtlMs: ttl,
    initialApiKey: vars.HERALD_API_KEY,
    delivery: {
      smtpUrl: vars.SMTP_URL,
      from: vars.SMTP_FROM ?? 'Herald <herald@localhost>',
      publicUrl: (vars.HERALD_PUBLIC_URL ?? `http://localhost:${vars.PORT ?? 3000}`).replace(/\/$/, ''),
      trackingSecret: vars.HERALD_TRACKING_SECRET,
      pushReceiptDelayMs: duration('HERALD_PUSH_RECEIPT_DELAY', 15 * 60_000),
    },
    sealing: {
      key: vars.HERALD_SEALING_KEY,
      previous: (vars.HERALD_SEALING_KEYS_PREVIOUS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
    },
    unsubscribeMailbox: vars.UNSUBSCRIBE_MAILBOX
      ? { address: vars.UNSUBSCRIBE_MAILBOX.toLowerCase(), host: vars.INBOUND_SMTP_HOST ?? '127.0.0.1', port: vars.INBOUND_SMTP_PORT ?? 2525 }
      : undefined,
    outbound: {
      batchSize: vars.HERALD_OUTBOUND_BATCH_SIZE ?? 100,
      maxHistory: vars.HERALD_EMITTER_MAX_HISTORY ?? 2000,
    },
    audiences: {
      recomputePageSize: vars.HERALD_AUDIENCE_PAGE_SIZE ?? 1000,
      recomputePagesPerRun: vars.HERALD_AUDIENCE_PAGES_PER_RUN ?? 100,
    },
    replays: {
      pageSize: vars.HERALD_REPLAY_PAGE_SIZE ?? 100,
      pagesPerRun: vars.HERALD_REPLAY_PAGES_PER_RUN ?? 100,
    },
    database: {
      url: vars.DATABASE_URL,
      poolSize: vars.DATABASE_POOL_SIZE ?? 20,
      ssl: vars.DATABASE_SSL ?? false,
      embeddedPort: vars.HERALD_POSTGRES_PORT ?? 5433,
    },
    temporal: {
      address: vars.TEMPORAL_ADDRESS,
      namespace: vars.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: vars.TEMPORAL_TASK_QUEUE ?? 'herald',
      tls: vars.TEMPORAL_TLS ?? Boolean(vars.TEMPORAL_TLS_CERT_PATH || vars.TEMPORAL_API_KEY),
      tlsCertPath: vars.TEMPORAL_TLS_CERT_PATH,
      tlsKeyPath: vars.TEMPORAL_TLS_KEY_PATH,
      tlsCaPath: vars.TEMPORAL_TLS_CA_PATH,
      apiKey: vars.TEMPORAL_API_KEY,
      uiUrl: vars.TEMPORAL_UI_URL ?? (vars.TEMPORAL_ADDRESS ? undefined : `http://localhost:${embeddedUiPort}`),
      binPath: vars.HERALD_TEMPORAL_BIN,
      embeddedPort,
      embeddedUiPort,
    },
  };
}

/** A duration setting: milliseconds as a number, or a duration such as "5s" / "2 minutes". */
function parseDurationSetting(name: string, value: string | undefined, fallback: number, problems: string[]): number {
  if (value === undefined) return fallback;
  const ms = /^\d+$/.test(value) ? Number(value) : msParse(value as msParse.StringValue);
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    problems.push(`${name}: must be milliseconds or a duration such as "5s" (got ${JSON.stringify(value)})`);
    return fallback;
  }
  return ms;
}

/** The names of every setting (from the validation metadata, so the list cannot drift). */
export function settingNames(): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(EnvironmentVariables, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}

/** Injection token for the HeraldConfig object. */
export const HERALD_CONFIG = Symbol('HERALD_CONFIG');
