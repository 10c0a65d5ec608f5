// A valid input for every command of the contract (ids refer to rows that may
// not exist: validation passes, the handler decides).
import type { CommandInput, CommandName } from '../../shared/contract.ts';

export const VALID_INPUTS: { [N in CommandName]: CommandInput<N> } = {
  'app.startup': {},
  'app.status': {},
  'projects.list': {},
  'projects.get': { id: 1 },
  'projects.create': { name: 'valid-project' },
  'projects.update': { id: 1, name: 'renamed' },
  'environments.list': { projectId: 1 },
  'environments.get': { id: 1 },
  'environments.create': { projectId: 1, name: 'staging', kind: 'staging' },
  'environments.update': { id: 1, kind: 'production' },
  'snapshots.list': { environmentId: 1 },
  'snapshots.create': { environmentId: 1, content: { replicas: 2 } },
  'deployments.list': {},
  'deployments.get': { id: 1 },
  'deployments.create': { environmentId: 1, version: '1.0.0' },
  'deployments.setStatus': { id: 1, status: 'running' },
  'deployments.appendLog': { id: 1, message: 'hello' },
  'audit.list': {},
  'backups.overview': {},
  'backups.list': {},
  'backups.create': {},
  'backups.cancel': { opId: '0b6f3a52-5d2c-4c1e-9f3e-2a7d1c9b8e41' },
  'backups.updateSettings': { scheduleEnabled: false },
  'backups.export': { id: 'abcdef12', path: '/tmp/stateward-export.sqlite' },
  'backups.downloadLink': { id: 'abcdef12' },
  'dialog.openFile': {},
  'dialog.saveFile': { defaultName: 'backup.sqlite' },
  'demo.seed': { projects: 1, deployments: 1 },
};
