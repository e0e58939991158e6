import { Module } from '@nestjs/common';
import { StudioController } from './studio.controller';

/** The Studio: web pages for automation authors and operators, at /studio. */
@Module({ controllers: [StudioController] })
export class StudioModule {}
