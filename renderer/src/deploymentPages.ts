// The deployments list's page cache (deploymentPageCache.ts), reading through the app's transport.
import { invoke } from './api.ts';
import type { DeploymentFilter } from './deploymentPageCache.ts';
import { DeploymentPageCache } from './deploymentPageCache.ts';

export type { DeploymentFilter } from './deploymentPageCache.ts';
export { PAGE_SIZE } from './deploymentPageCache.ts';

export class DeploymentPages extends DeploymentPageCache {
  constructor(filter: DeploymentFilter) {
    super(filter, (input) => invoke('deployments.list', input));
  }
}
