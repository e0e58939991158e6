import { DynamicModule, Module } from '@nestjs/common';
import { ListsModule } from './lists/lists.module';
import { BroadcastsModule } from './broadcasts/broadcasts.module';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { randomUUID } from 'node:crypto';
import { ApiKeyGuard } from './common/auth/api-key.guard';
import { withoutPathTokens } from './common/logging';
import { ConfigModule, RuntimeSettings } from './config/config.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { dataSourceOptions } from './database/data-source-options';
import { AudiencesModule } from './audiences/audiences.module';
import { AutomationsModule } from './automations/automations.module';
import { HealthModule } from './health/health.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { MessagesModule } from './messages/messages.module';
import { NotificationsModule } from './notifications/notifications.module';
import { InboundModule } from './inbound/inbound.module';
import { ProfilesModule } from './profiles/profiles.module';
import { TemporalModule } from './temporal/temporal.module';
import { WorkerModule } from './temporal/worker.module';
import { StudioModule } from './studio/studio.module';
import { SchedulesModule } from './schedules/schedules.module';
import { TenantsModule } from './tenants/tenants.module';
import { WorkspacesModule } from './workspaces/workspaces.module';

export interface AppModuleOptions extends RuntimeSettings {
  databaseUrl: string;
  logger: PinoLogger;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    const { config } = options;
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options),
        LoggerModule.forRoot({
          pinoHttp: {
            logger: options.logger,
            // A caller's X-Request-Id is kept (if sane) so logs join across systems.
            genReqId: (req, res) => {
              const given = req.headers['x-request-id'];
              const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
              res.setHeader('X-Request-Id', id);
              return id;
            },
            customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
            autoLogging: { ignore: (req) => req.url === '/health' },
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: withoutPathTokens(req.url) }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
          },
        }),
        TypeOrmModule.forRoot(dataSourceOptions({ url: options.databaseUrl, poolSize: config.database.poolSize, ssl: config.database.ssl })),
        TemporalModule,
        WorkspacesModule,
        ProfilesModule,
        AudiencesModule,
        TenantsModule,
        InboundModule,
        AutomationsModule,
        NotificationsModule,
        MessagesModule,
        ListsModule,
        BroadcastsModule,
        SchedulesModule,
        IntegrationsModule,
        HealthModule,
        DashboardModule,
        StudioModule,
        WorkerModule,
      ],
      providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
    };
  }
}
