import type { ReactNode } from 'react';
import { Icon } from './Icon.tsx';

export interface Crumb {
  label: string;
  onClick?(): void;
}

export function PageHeader(props: {
  title: ReactNode;
  crumbs?: Crumb[];
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  const { title, crumbs, subtitle, actions } = props;
  return (
    <div className="page-header">
      <div className="page-header-text">
        {crumbs && crumbs.length > 0 && (
          <nav className="crumbs" aria-label="Breadcrumb">
            {crumbs.map((c, i) => (
              <span key={i} className="crumb">
                {c.onClick ? (
                  <button type="button" className="link-button" onClick={c.onClick}>
                    {c.label}
                  </button>
                ) : (
                  <span>{c.label}</span>
                )}
                <Icon name="chevron" size={12} />
              </span>
            ))}
          </nav>
        )}
        <h1>{title}</h1>
        {subtitle && <p className="page-subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}
