import { DynamicModule, Global, Module } from '@nestjs/common';
import { TEMPORAL_ADDRESS, WORKFLOW_BUNDLE_PATH } from '../temporal/temporal.tokens';
import { HERALD_CONFIG, HeraldConfig } from './herald-config';

export interface RuntimeSettings {
  config: HeraldConfig;
  /** The Temporal address in use (embedded or TEMPORAL_ADDRESS). */
  temporalAddress: string;
  workflowBundlePath?: string;
}

/** Makes the validated configuration and resolved addresses injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(settings: RuntimeSettings): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: HERALD_CONFIG, useValue: settings.config },
        { provide: TEMPORAL_ADDRESS, useValue: settings.temporalAddress },
        { provide: WORKFLOW_BUNDLE_PATH, useValue: settings.workflowBundlePath },
      ],
      exports: [HERALD_CONFIG, TEMPORAL_ADDRESS, WORKFLOW_BUNDLE_PATH],
    };
  }
}
