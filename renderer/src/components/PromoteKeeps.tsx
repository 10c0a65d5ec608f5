// The promote dialog's "what stays": a promote replaces the data only. This
// machine's backup settings (kept beside the database, never in it), its
// backups, its keys and its other settings stay exactly as they are.
import { invoke } from '../api.ts';
import { intervalLabel } from '../backups.ts';
import { useQuery } from '../hooks/useQuery.ts';
import { useRevision } from '../stores/data.ts';
import { plural } from '../format.ts';
import { Icon } from './Icon.tsx';

export function PromoteKeeps() {
  const rev = useRevision('backups');
  // Without a live data dir to ask (the refusal screen), the line stays, without the values.
  const overview = useQuery('backups-overview', () => invoke('backups.overview', {}), rev);
  const s = overview.data?.settings ?? null;
  return (
    <div className="safety-row safety-info" data-testid="promote-keeps">
      <Icon name="shield" />
      <div>
        <strong>Stays as it is: this machine’s backup settings, backups and keys</strong>
        <p>
          {s ? (
            <>
              Backups keep running as set here —{' '}
              {s.scheduleEnabled ? intervalLabel(s.intervalMinutes) : 'no scheduled backups'}, keep
              the last {plural(s.retention.keepLast, 'backup')},{' '}
              {s.offsiteDir ? (
                <>
                  off-site copies to <span className="path">{s.offsiteDir}</span>
                </>
              ) : (
                'no off-site folder'
              )}
              , not the backup’s.
            </>
          ) : (
            'The schedule, retention and off-site folder stay as set on this machine, not the backup’s.'
          )}{' '}
          The backups folder, the encryption keys and this machine’s other settings are not part of
          a restore either: only the data changes.
        </p>
      </div>
    </div>
  );
}
