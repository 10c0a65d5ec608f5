import type { DeploymentStatus } from '../../../shared/domain.ts';
import { STATUS_LABEL } from '../format.ts';

export function StatusBadge({ status }: { status: DeploymentStatus }) {
  return (
    <span className={`badge badge-${status}`}>
      <span className="badge-dot" aria-hidden="true" />
      {STATUS_LABEL[status]}
    </span>
  );
}
