import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorkspaceId } from '../common/auth/workspace.decorator';
import { PageQueryDto } from '../common/http/pagination';
import { PutMembershipDto, PutTenantDto } from './dto/tenant.dto';
import { TenantsService } from './tenants.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { MembershipPageSchema, MembershipSchema, TenantSchema } from './tenants.responses';

@ApiTags('tenants')
@ApiBearerAuth()
@Controller()
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Get('tenants/:tenantId')
  @ApiOperation({ summary: 'Get a tenant' })
  @ApiResponses({ 200: TenantSchema, errors: [404] })
  get(@WorkspaceId() ws: string, @Param('tenantId') tenantId: string) {
    return this.tenants.get(ws, tenantId);
  }

  @Put('tenants/:tenantId')
  @ApiOperation({ summary: 'Create or replace a tenant' })
  @ApiResponses({ 200: TenantSchema })
  put(@WorkspaceId() ws: string, @Param('tenantId') tenantId: string, @Body() body: PutTenantDto) {
    return this.tenants.put(ws, tenantId, body);
  }

  @Delete('tenants/:tenantId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a tenant and its memberships' })
  @ApiResponses({ 204: null, errors: [404] })
  async delete(@WorkspaceId() ws: string, @Param('tenantId') tenantId: string): Promise<void> {
    await this.tenants.delete(ws, tenantId);
  }

  @Get('tenants/:tenantId/users')
  @ApiOperation({ summary: "List a tenant's members" })
  @ApiResponses({ 200: MembershipPageSchema, errors: { 404: 'no such tenant' } })
  members(@WorkspaceId() ws: string, @Param('tenantId') tenantId: string, @Query() page: PageQueryDto) {
    return this.tenants.listMembers(ws, tenantId, page.limit ?? 50, page.cursor);
  }

  @Get('users/:userId/tenants')
  @ApiOperation({ summary: "List a user's tenants" })
  @ApiResponses({ 200: MembershipPageSchema })
  userTenants(@WorkspaceId() ws: string, @Param('userId') userId: string, @Query() page: PageQueryDto) {
    return this.tenants.listUserTenants(ws, userId, page.limit ?? 50, page.cursor);
  }

  @Get('users/:userId/tenants/:tenantId')
  @ApiOperation({ summary: "Get a user's membership of a tenant" })
  @ApiResponses({ 200: MembershipSchema, errors: { 404: 'the user is not a member of the tenant' } })
  membership(@WorkspaceId() ws: string, @Param('userId') userId: string, @Param('tenantId') tenantId: string) {
    return this.tenants.getMembership(ws, userId, tenantId);
  }

  @Put('users/:userId/tenants/:tenantId')
  @ApiOperation({ summary: 'Add a user to a tenant (or replace their per-tenant profile)' })
  @ApiResponses({ 200: MembershipSchema, errors: { 404: 'no such tenant' } })
  putMembership(
    @WorkspaceId() ws: string,
    @Param('userId') userId: string,
    @Param('tenantId') tenantId: string,
    @Body() body: PutMembershipDto,
  ) {
    return this.tenants.putMembership(ws, userId, tenantId, body.profile);
  }

  @Delete('users/:userId/tenants/:tenantId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a user from a tenant' })
  @ApiResponses({ 204: null, errors: { 404: 'the user is not a member of the tenant' } })
  async deleteMembership(@WorkspaceId() ws: string, @Param('userId') userId: string, @Param('tenantId') tenantId: string) {
    await this.tenants.deleteMembership(ws, userId, tenantId);
  }
}
