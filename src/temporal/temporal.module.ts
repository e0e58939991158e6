import { Global, Module } from '@nestjs/common';
import { CodecController } from './codec/codec.controller';
import { TemporalClientService } from './temporal-client.service';
import { WorkflowTerminator } from './workflow-terminator.service';
import { WorkflowWaker } from './workflow-waker.service';

@Global()
@Module({ controllers: [CodecController], providers: [TemporalClientService, WorkflowWaker, WorkflowTerminator], exports: [TemporalClientService, WorkflowWaker, WorkflowTerminator] })
export class TemporalModule {}
