import { ApplicationFailure } from '@temporalio/common';
import type { HeraldConfig } from '../../src/config/herald-config';
import { fetchData, FetchDataError, FetchDataRequest } from '../../src/automations/engine/fetch-data';

/** The fetch-data activity of legacy runs (workflows/legacy): retryable failures throw plain errors, the rest non-retryable ones. */
export function createLegacyFetchDataActivities({ config }: { config: Pick<HeraldConfig, 'allowPrivateNetworks'> }) {
  return {
    async fetchData(request: FetchDataRequest): Promise<{ status: number; body: unknown }> {
      try {
        return await fetchData(request, config.allowPrivateNetworks);
      } catch (err) {
        if (err instanceof FetchDataError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, err.type);
        throw err;
      }
    },
  };
}

export type FetchDataActivities = ReturnType<typeof createLegacyFetchDataActivities>;
