import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../../common/auth/workspace.decorator';
import { AdHocInvokeDto, CancelDto, RunListQueryDto, TemplateInvokeDto } from './dto/runs.dto';
import { InvokeService } from './invoke.service';
import { RunsService } from './runs.service';
import { ApiResponses, IDEMPOTENCY_HEADER } from '../../common/openapi/api-responses.decorator';
import { CanceledRunsSchema, InvokedSchema, RunPageSchema, RunSchema, RunStepsSchema } from '../automations.responses';

/** Invoke, cancel and read runs. Registered before the templates controller so /automations/runs is not a template id. */
@ApiTags('automations')
@ApiBearerAuth()
@Controller('automations')
export class RunsController {
  constructor(private readonly invoke: InvokeService, private readonly runs: RunsService) {}

  @Post('invoke')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run ad hoc steps' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiResponses({ 202: InvokedSchema, errors: { 400: 'invalid steps or context, naming the field', 502: true } })
  invokeAdHoc(@WorkspaceId() ws: string, @Body() body: AdHocInvokeDto, @Headers('idempotency-key') key?: string) {
    return this.invoke.invokeAdHoc(ws, body, key);
  }

  @Post('cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel runs by cancelation_token or run_id; answers with each run and its final state' })
  @ApiResponses({ 202: CanceledRunsSchema, errors: { 404: 'no such run (by run_id)' } })
  cancel(@WorkspaceId() ws: string, @Body() body: CancelDto) {
    return this.invoke.cancel(ws, body);
  }

  @Get('runs')
  @ApiOperation({ summary: 'List runs, newest first' })
  @ApiResponses({ 200: RunPageSchema })
  list(@WorkspaceId() ws: string, @Query() query: RunListQueryDto) {
    return this.runs.list(ws, query, query.limit ?? 50, query.cursor);
  }

  @Get('runs/:runId')
  @ApiOperation({ summary: 'A run: status, context, source, template version, Temporal UI link' })
  @ApiResponses({ 200: RunSchema, errors: [404] })
  get(@WorkspaceId() ws: string, @Param('runId') runId: string) {
    return this.runs.get(ws, runId);
  }

  @Get('runs/:runId/steps')
  @ApiOperation({ summary: "A run's steps with status, times, result, message id and error" })
  @ApiResponses({ 200: RunStepsSchema, errors: [404] })
  steps(@WorkspaceId() ws: string, @Param('runId') runId: string) {
    return this.runs.steps(ws, runId);
  }

  @Post(':templateIdOrAlias/invoke')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run the latest published version of a template (409 if none)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiResponses({ 202: InvokedSchema, errors: { 404: 'no such template', 409: 'the template has no published version', 502: true } })
  invokeTemplate(@WorkspaceId() ws: string, @Param('templateIdOrAlias') ref: string, @Body() body: TemplateInvokeDto, @Headers('idempotency-key') key?: string) {
    return this.invoke.invokeTemplate(ws, ref, body, key);
  }
}
