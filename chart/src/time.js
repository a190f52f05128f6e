// The time slider: two range inputs over the entity's dated activity; a thumb at either end of
// the range leaves that side of the window open.

const DAY = 24 * 60 * 60 * 1000;

function minute(ms) {
  return Math.round(ms / 60000) * 60000;
}

function shown(ms) {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export class TimeSlider {
  constructor(elements, onChange) {
    this.el = elements; // { fieldset, since, until, sinceLabel, untilLabel, note }
    this.domain = null;
    this.steps = Number(this.el.since.max);
    for (const [input, other, later] of [
      [this.el.since, this.el.until, false],
      [this.el.until, this.el.since, true],
    ]) {
      input.addEventListener("input", () => {
        // The thumbs never cross: the window always has a start before its end.
        const value = Number(input.value);
        if (later ? value <= Number(other.value) : value >= Number(other.value)) {
          input.value = String(later ? Number(other.value) + 1 : Number(other.value) - 1);
        }
        this.label();
      });
      input.addEventListener("change", onChange);
    }
  }

  /** The range the thumbs cover: [start, end] in ms, or null when the entity has no dated activity. */
  setDomain(domain) {
    this.domain = domain;
    this.el.since.value = "0";
    this.el.until.value = String(this.steps);
    this.el.fieldset.disabled = domain === null;
    this.el.note.textContent =
      domain === null ? "no dated activity: the whole record is drawn" : "each end open when at its limit";
    this.label();
  }

  at(value) {
    const [start, end] = this.domain;
    return minute(start + ((end - start) * Number(value)) / this.steps);
  }

  /** The window to ask for: ISO times with a zone, null for an open side. */
  window() {
    if (this.domain === null) return { since: null, until: null };
    const since = Number(this.el.since.value) > 0 ? new Date(this.at(this.el.since.value)).toISOString() : null;
    const until =
      Number(this.el.until.value) < this.steps ? new Date(this.at(this.el.until.value)).toISOString() : null;
    return { since, until };
  }

  label() {
    if (this.domain === null) {
      this.el.sinceLabel.textContent = "-";
      this.el.untilLabel.textContent = "-";
      return;
    }
    const { since, until } = this.window();
    this.el.sinceLabel.textContent = since ? shown(Date.parse(since)) : `the start (${shown(this.domain[0])})`;
    this.el.untilLabel.textContent = until ? shown(Date.parse(until)) : `the end (${shown(this.domain[1])})`;
  }
}

/** The slider's range from the days an entity was active (local dates, so a day's margin each side). */
export function daysDomain(dates) {
  if (dates.length === 0) return null;
  const times = dates.map((d) => Date.parse(`${d}T00:00:00Z`));
  return [Math.min(...times) - DAY, Math.max(...times) + 2 * DAY];
}
