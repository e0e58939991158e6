import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule, AppModuleOptions } from '../app.module';
import { ApiExceptionFilter } from '../common/errors/api-exception.filter';
import { bodyGate } from '../common/http/body-gate';
import { buildOpenApiDocument } from '../common/openapi/openapi-document';
import { installationKeys } from '../common/crypto/installation-keys';
import { codecEndpointToken } from '../temporal/codec/encryption-codec';
import { extractKey } from '../common/auth/api-key.guard';
import { RejectionsService } from '../inbound/rejections.service';
import { WorkspacesService } from '../workspaces/workspaces.service';

/** Builds the Nest application (API and worker host) without listening yet. */
export async function createHerald(options: AppModuleOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', true);
  app.disable('x-powered-by');

  // Slow clients cannot hold a socket: headers within 10 s, the whole request within 30 s.
  const server = app.getHttpServer();
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  // How often those limits are enforced (Node reads it when listening; its default is 30 s; not in its types).
  (server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = 5_000;
  app.use(...bodyGate(options.config.inboundMaxBodyBytes, () => app.get(WorkspacesService), codecEndpointToken(installationKeys(options.config).current)));
  app.use(countInboundRejections(app));
  app.use(bodyParserErrors);

  app.useGlobalFilters(new ApiExceptionFilter(options.config.retryAfterSeconds));
  app.useGlobalPipes(
    new ValidationPipe({
      transform: true,
      forbidUnknownValues: false,
      stopAtFirstError: true,
      exceptionFactory: (errors) => new BadRequestException(describeValidationErrors(errors)),
    }),
  );

  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

/**
 * A body the inbound endpoint cannot even parse (not JSON, not UTF-8, too large) is refused
 * before the route runs: counted here for the key's workspace (GET /inbound/rejections).
 */
function countInboundRejections(app: NestExpressApplication) {
  return (err: { type?: string; message?: string; body?: unknown } | undefined, req: Request, _res: Response, next: NextFunction) => {
    const reason = !err ? undefined
      : err.type === 'entity.too.large' ? 'request body is larger than the limit'
        : err.type === 'entity.parse.failed' ? `body is not valid JSON: ${err.message}`
          : err.type === 'charset.unsupported' || err.type === 'encoding.unsupported' ? `body must be UTF-8 JSON: ${err.message}`
            : undefined;
    if (!reason || req.method !== 'POST' || !/^\/inbound\/(rudderstack|segment)\/?$/.test(req.path)) return next(err);
    const key = extractKey(req.headers.authorization);
    const workspaces = app.get(WorkspacesService);
    void (async () => {
      const workspaceId = key ? await workspaces.authenticate(key).catch(() => null) : null;
      if (workspaceId) await app.get(RejectionsService).record(workspaceId, reason, typeof err?.body === 'string' ? err.body : undefined);
    })();
    next(err);
  };
}

/** body-parser's own errors (bad JSON, too large) in Herald's error shape. */
function bodyParserErrors(err: { type?: string; status?: number; message?: string }, _req: Request, res: Response, next: NextFunction) {
  if (!err) return next();
  if (err.type === 'entity.too.large') {
    return res.status(413).json({ message: 'request body is larger than the limit', type: 'invalid_request_error' });
  }
  if (err.type === 'entity.parse.failed') {
    return res.status(400).json({ message: `body is not valid JSON: ${err.message}`, type: 'invalid_request_error' });
  }
  if (err.type === 'charset.unsupported' || err.type === 'encoding.unsupported') {
    return res.status(400).json({ message: `body must be UTF-8 JSON: ${err.message}`, type: 'invalid_request_error' });
  }
  if (err.status && err.status >= 400 && err.status < 500) {
    return res.status(err.status).json({ message: err.message ?? 'bad request', type: 'invalid_request_error' });
  }
  return next(err);
}

function describeValidationErrors(errors: ValidationError[], prefix = ''): string {
  const messages: string[] = [];
  for (const error of errors) {
    const path = `${prefix}${error.property}`;
    if (error.constraints) messages.push(...Object.values(error.constraints).map((m) => (m.startsWith(error.property) ? `${prefix}${m}` : `${path}: ${m}`)));
    if (error.children?.length) messages.push(describeValidationErrors(error.children, `${path}.`));
  }
  return messages.join('; ');
}
