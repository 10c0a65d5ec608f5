// Pausing automation writes (before an upgrade or a promote) and what holds them off now.
import { automationStatus, pauseAutomation, resumeAutomation } from '../core/automation.ts';
import type { HandlerMap } from './registry.ts';

export const automationHandlers: HandlerMap = {
  'automation.status': (_input, rt) => automationStatus(rt),
  'automation.pause': (input, rt) => pauseAutomation(rt, input),
  'automation.resume': (_input, rt) => resumeAutomation(rt),
};
