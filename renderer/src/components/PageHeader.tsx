import type { ReactNode } from 'react';
import { Icon } from './Icon.tsx';

export interface Crumb {
  label: string;
  onClick?(): void;
}

export function PageHeader(props: {
  title: ReactNode;
  crumbs?: Crumb[];
  /** The last crumb, this page's name (defaults to the title when that is text). */
  current?: string;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  const { title, crumbs, subtitle, actions } = props;
  const current = props.current ?? (typeof title === 'string' ? title : null);
  return (
    <div className="page-header">
      <div className="page-header-text">
        {crumbs && crumbs.length > 0 && (
          // The trail ends at this page ("Projects › billing-api"), never on a bare "›".
          <nav className="crumbs" aria-label="Breadcrumb">
            {crumbs.map((c, i) => (
              <span key={i} className="crumb">
                {c.onClick ? (
                  <button type="button" className="link-button" title={c.label} onClick={c.onClick}>
                    {c.label}
                  </button>
                ) : (
                  <span title={c.label}>{c.label}</span>
                )}
                {(i < crumbs.length - 1 || current !== null) && <Icon name="chevron" size={12} />}
              </span>
            ))}
            {current !== null && (
              <span className="crumb crumb-current" aria-current="page">
                {current}
              </span>
            )}
          </nav>
        )}
        <h1>{title}</h1>
        {subtitle && <p className="page-subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}
