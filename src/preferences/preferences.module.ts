import { Module } from '@nestjs/common';
import { PreferencesController } from './preferences.controller';
import { PreferencesService } from './preferences.service';
import { UnsubscribeController } from './unsubscribe.controller';
import { SecretsService } from '../messages/secrets.service';

@Module({ controllers: [PreferencesController, UnsubscribeController], providers: [PreferencesService, SecretsService], exports: [PreferencesService] })
export class PreferencesModule {}
