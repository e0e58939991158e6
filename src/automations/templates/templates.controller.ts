import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../../common/auth/workspace.decorator';
import { PageQueryDto } from '../../common/http/pagination';
import { sequenceCatalog } from '../sequences/sequence-catalog';
import { stepJsonSchema } from './step-json-schema';
import { TemplateBodyDto } from './dto/template.dto';
import { TemplatesService } from './templates.service';
import { ApiResponses } from '../../common/openapi/api-responses.decorator';
import { PublishedSchema, SequencesSchema, StepJsonSchemaSchema, TemplatePageSchema, TemplateSchema, TemplateVersionsSchema } from '../automations.responses';

@ApiTags('automations')
@ApiBearerAuth()
@Controller('automations')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Post()
  @ApiOperation({ summary: 'Create a draft template (steps validated: 400 names the step index and field)' })
  @ApiResponses({ 201: TemplateSchema, errors: { 400: 'invalid steps: the message names the step index and field', 409: 'the alias is taken' } })
  create(@WorkspaceId() ws: string, @Body() body: TemplateBodyDto) {
    return this.templates.create(ws, body);
  }

  @Get()
  @ApiOperation({ summary: 'List templates' })
  @ApiResponses({ 200: TemplatePageSchema })
  list(@WorkspaceId() ws: string, @Query() page: PageQueryDto) {
    return this.templates.list(ws, page.limit ?? 50, page.cursor);
  }

  @Get('sequences')
  @ApiOperation({ summary: 'The built-in code sequences (read-only)' })
  @ApiResponses({ 200: SequencesSchema })
  sequences() {
    return { items: Object.values(sequenceCatalog()) };
  }

  @Get('step-schema')
  @ApiResponses({ 200: StepJsonSchemaSchema })
  @ApiOperation({ summary: "The step language as JSON Schema, one per action, with each field's help (the Studio's designer forms)" })
  stepSchema() {
    return stepJsonSchema();
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a template (by id or alias): its draft and published version' })
  @ApiResponses({ 200: TemplateSchema, errors: [404] })
  get(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.templates.get(ws, id);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Edit the draft' })
  @ApiResponses({ 200: TemplateSchema, errors: { 404: 'no such template', 409: 'the alias is taken' } })
  update(@WorkspaceId() ws: string, @Param('id') id: string, @Body() body: TemplateBodyDto) {
    return this.templates.update(ws, id, body);
  }

  @Post(':id/publish')
  @ApiOperation({ summary: 'Publish the draft as a new immutable version' })
  @ApiResponses({ 201: PublishedSchema, errors: [404] })
  publish(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.templates.publish(ws, id);
  }

  @Get(':id/versions')
  @ApiOperation({ summary: 'Published versions, newest first' })
  @ApiResponses({ 200: TemplateVersionsSchema, errors: [404] })
  versions(@WorkspaceId() ws: string, @Param('id') id: string) {
    return this.templates.versions(ws, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a template, its versions and links (running runs continue)' })
  @ApiResponses({ 204: null, errors: [404] })
  async delete(@WorkspaceId() ws: string, @Param('id') id: string): Promise<void> {
    await this.templates.delete(ws, id);
  }
}
