import { useToasts } from '../stores/toasts.ts';
import { Icon } from './Icon.tsx';

export function Toasts() {
  const toasts = useToasts((s) => s.toasts);
  const dismiss = useToasts((s) => s.dismiss);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div
          key={t.id}
          className={`toast toast-${t.kind}`}
          role={t.kind === 'error' ? 'alert' : 'status'}
        >
          <Icon name={t.kind === 'error' ? 'error' : t.kind === 'success' ? 'check' : 'info'} />
          <div className="toast-body">
            <strong>{t.title}</strong>
            {t.message && <p>{t.message}</p>}
            {t.hint && <p className="toast-hint">{t.hint}</p>}
            {t.code && <p className="toast-code">{t.code}</p>}
          </div>
          <button
            type="button"
            className="icon-button"
            aria-label="Dismiss notification"
            onClick={() => dismiss(t.id)}
          >
            <Icon name="close" />
          </button>
        </div>
      ))}
    </div>
  );
}
