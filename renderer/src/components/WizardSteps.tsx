// The step indicator of a wizard: done steps ticked, the current one marked
// (aria-current="step"), the rest numbered. Styled by the .wizard-steps rules.
import { Icon } from './Icon.tsx';

export function WizardSteps<S extends string>(props: {
  steps: readonly { step: S; label: string }[];
  current: S;
  /** Mark every step done (a finished wizard). */
  finished?: boolean;
}) {
  const { steps, current, finished } = props;
  const at = finished ? steps.length : steps.findIndex((s) => s.step === current);
  return (
    <ol className="wizard-steps" aria-label="Steps">
      {steps.map((s, i) => (
        <li
          key={s.step}
          className={i < at ? 'wizard-step done' : i === at ? 'wizard-step current' : 'wizard-step'}
          aria-current={i === at ? 'step' : undefined}
        >
          <span className="wizard-step-n" aria-hidden="true">
            {i < at ? <Icon name="check" size={12} /> : i + 1}
          </span>
          <span className="visually-hidden">{i < at ? 'Done: ' : ''}</span>
          {s.label}
        </li>
      ))}
    </ol>
  );
}
