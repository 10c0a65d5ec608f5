// The toolbar's search field of a paged list; typing in it starts again at the first page.
import { Icon } from './Icon.tsx';

export function SearchBox(props: {
  /** The accessible name of the field. */
  label: string;
  placeholder: string;
  value: string;
  onChange(value: string): void;
}) {
  const { label, placeholder, value, onChange } = props;
  return (
    <div className="toolbar">
      <label className="search">
        <Icon name="search" />
        <input
          className="input"
          type="search"
          placeholder={placeholder}
          aria-label={label}
          value={value}
          maxLength={120}
          onChange={(e) => onChange(e.target.value)}
        />
      </label>
    </div>
  );
}
