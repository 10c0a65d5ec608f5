// Empty, loading and error states, so no screen is ever blank.
import type { ReactNode } from 'react';
import type { AppErrorShape } from '../../../shared/errors.ts';
import type { IconName } from './Icon.tsx';
import { Icon } from './Icon.tsx';

export function ErrorState(props: { title?: string; error: AppErrorShape; onRetry?(): void }) {
  const { title = 'Could not load this', error, onRetry } = props;
  return (
    <div className="state state-error" role="alert">
      <Icon name="error" size={28} />
      <h3>{title}</h3>
      <p className="state-message">{error.message}</p>
      {error.hint && <p className="state-hint">{error.hint}</p>}
      <p className="state-code">
        Error code <code>{error.code}</code>
      </p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState(props: {
  icon: IconName;
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="state state-empty">
      <Icon name={props.icon} size={28} />
      <h3>{props.title}</h3>
      {props.children && <div className="state-message">{props.children}</div>}
      {props.action}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}
