import { Global, Module } from '@nestjs/common';
import { TemporalClientService } from './temporal-client.service';
import { WorkflowTerminator } from './workflow-terminator.service';
import { WorkflowWaker } from './workflow-waker.service';

@Global()
@Module({ providers: [TemporalClientService, WorkflowWaker, WorkflowTerminator], exports: [TemporalClientService, WorkflowWaker, WorkflowTerminator] })
export class TemporalModule {}
