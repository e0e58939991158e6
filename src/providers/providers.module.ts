import { Module } from '@nestjs/common';
import { SecretsService } from '../messages/secrets.service';
import { ProviderRateLimiter } from './provider-rate-limiter';
import { ProvidersController } from './providers.controller';
import { ProvidersService } from './providers.service';

/** Providers as configuration (the sealing keys come from SecretsService, which holds no state of its own that matters here). */
@Module({ controllers: [ProvidersController], providers: [ProvidersService, ProviderRateLimiter, SecretsService], exports: [ProvidersService, ProviderRateLimiter] })
export class ProvidersModule {}
