// The sandboxed preload: exposes the narrow, typed `window.stateward` and nothing
// else (never ipcRenderer itself). Built to CommonJS; a sandboxed preload may only
// require 'electron', so it imports constants and types from shared/ and no more.
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { StatewardBridge } from '../../shared/bridge.ts';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../../shared/events.ts';

interface EventMessage {
  event: string;
  payload: unknown;
}

function isEventMessage(m: unknown): m is EventMessage {
  return typeof m === 'object' && m !== null && typeof (m as EventMessage).event === 'string';
}

const bridge = {
  invoke: (name, input) => ipcRenderer.invoke(IPC_INVOKE_CHANNEL, name, input),
  on: (event, fn) => {
    const listener = (_e: IpcRendererEvent, message: unknown): void => {
      if (isEventMessage(message) && message.event === event) fn(message.payload as never);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, listener);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, listener);
    };
  },
  platform: 'electron',
} satisfies StatewardBridge;

contextBridge.exposeInMainWorld('stateward', bridge);
