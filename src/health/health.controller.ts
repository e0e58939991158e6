import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../common/auth/public.decorator';
import { TemporalClientService } from '../temporal/temporal-client.service';
import { ApiResponses } from '../common/openapi/api-responses.decorator';
import { HealthSchema, ReadinessSchema } from './health.responses';

@ApiTags('health')
@Controller()
@Public()
export class HealthController {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly temporal: TemporalClientService) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiResponses({ 200: HealthSchema })
  health() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: Postgres and Temporal are reachable (503 otherwise)' })
  @ApiResponses({ 200: ReadinessSchema, 503: { description: 'Postgres or Temporal is unreachable (with Retry-After)', schema: ReadinessSchema, headers: { 'Retry-After': { description: 'seconds' } } } })
  async ready(@Res({ passthrough: true }) res: Response) {
    const [database, temporal] = await Promise.all([this.databaseUp(), this.temporal.isReachable()]);
    const ok = database && temporal;
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    if (!ok) res.setHeader('Retry-After', '5');
    return { status: ok ? 'ok' : 'unavailable', database: database ? 'up' : 'down', temporal: temporal ? 'up' : 'down' };
  }

  private async databaseUp(): Promise<boolean> {
    try {
      await this.db.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
