import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { PreferencesController } from './preferences.controller';
import { PreferencesService } from './preferences.service';

@Module({ imports: [OutboxModule], controllers: [PreferencesController], providers: [PreferencesService], exports: [PreferencesService] })
export class PreferencesModule {}
