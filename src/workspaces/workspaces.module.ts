import { Module } from '@nestjs/common';
import { KeysController } from './keys.controller';
import { WorkspacesService } from './workspaces.service';

@Module({ controllers: [KeysController], providers: [WorkspacesService], exports: [WorkspacesService] })
export class WorkspacesModule {}
