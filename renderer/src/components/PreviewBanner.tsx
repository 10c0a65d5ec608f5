// The banner that stays on every screen while a restored copy is previewed:
// unmistakably not live, which copy it is, and the two ways out.
import { useEffect } from 'react';
import { invoke } from '../api.ts';
import { formatTimeExact } from '../format.ts';
import { backupTitle } from '../names.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { useNav } from '../stores/nav.ts';
import { usePreview } from '../stores/preview.ts';
import { useRestoreWizard } from '../stores/restoreWizard.ts';
import { toastError } from '../stores/toasts.ts';
import { Icon } from './Icon.tsx';

export function PreviewBanner() {
  const source = usePreview((s) => s.source);
  const exit = usePreview((s) => s.exit);
  const go = useNav((s) => s.go);
  const view = useNav((s) => s.route.view);
  const showPromote = useRestoreWizard((s) => s.showPromote);
  const rev = useRevision('backups');
  const copies = useQuery('restores-list', () => invoke('restores.list', {}), rev);

  // A copy that was promoted or discarded elsewhere (or in another window) ends the preview.
  const gone =
    source !== null &&
    !copies.loading &&
    copies.data !== undefined &&
    !copies.data.some(
      (c) => c.id === source.restoreId && c.status !== 'promoted' && c.status !== 'discarded',
    );
  useEffect(() => {
    if (gone) {
      toastError('The restored copy is no longer available', {
        code: 'RESTORE_NOT_FOUND',
        message: 'It was promoted or discarded, so the preview ended. You are back on live data.',
      });
      exit();
    }
  }, [gone, exit]);

  if (!source) return null;
  return (
    <div
      className="preview-banner"
      role="region"
      aria-label="Restored copy preview"
      data-testid="preview-banner"
    >
      <span className="preview-banner-icon" aria-hidden="true">
        <Icon name="eye" size={18} />
      </span>
      <div className="preview-banner-text">
        <strong>Restored copy — read-only</strong>
        <span className="preview-banner-name" title={source.fileName}>
          {source.createdAt !== null ? (
            <span title={formatTimeExact(source.createdAt)}>{backupTitle(source)}</span>
          ) : (
            backupTitle(source)
          )}
        </span>
        <span className="preview-banner-file" title={source.fileName}>
          {source.fileName}
        </span>
      </div>
      <div className="preview-banner-actions">
        {view !== 'compare' && (
          <button
            type="button"
            className="button button-small preview-button"
            onClick={() => go({ view: 'compare' })}
          >
            <Icon name="compare" /> Compare with live
          </button>
        )}
        <button type="button" className="button button-small preview-button" onClick={exit}>
          Back to live
        </button>
        <button
          type="button"
          className="button button-small preview-button-strong"
          onClick={() => showPromote(source)}
        >
          Promote…
        </button>
      </div>
    </div>
  );
}
