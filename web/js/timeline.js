// The time control: a year slider from YEARS.first to YEARS.last with one more stop at its right
// end for "all years" (no time filter), and a play button that steps through the years.

import {YEARS} from './hash.js';

/** The slider's "all years" stop. */
const ALL = YEARS.last + 1;
/** Least time a year stays on screen while playing (ms). */
const STEP_MS = 900;

/** The year a slider value stands for (null = all years). */
export function yearOfSlider(value) {
  const y = Number(value);
  return y >= YEARS.first && y <= YEARS.last ? y : null;
}

/** The year after `year` when playing: from "all years" or the last year, playing starts over. */
export function nextYear(year) {
  return year === null || year >= YEARS.last ? YEARS.first : year + 1;
}

/**
 * Wires the slider, its label and the play button. `onYear(year)` changes the state (and
 * returns the render's promise, which playing waits for). Returns {show(year), stop()}.
 */
export function setupTimeline({slider, label, play}, onYear) {
  slider.min = String(YEARS.first);
  slider.max = String(ALL);
  let year = null;
  let playing = false;
  let timer = 0;

  const showPlaying = () => {
    play.dataset.playing = String(playing);
    play.textContent = playing ? '❚❚ Pause' : '▶ Play';
    play.setAttribute('aria-pressed', String(playing));
  };
  const stop = () => {
    playing = false;
    clearTimeout(timer);
    showPlaying();
  };
  const step = async () => {
    if (!playing) return;
    const next = nextYear(year);
    const t0 = Date.now();
    try {
      await onYear(next);
    } catch {
      // the render shows its own errors
    }
    if (!playing) return;
    if (next >= YEARS.last) stop();
    else timer = setTimeout(step, Math.max(0, STEP_MS - (Date.now() - t0)));
  };

  slider.addEventListener('input', () => {
    stop();
    onYear(yearOfSlider(slider.value));
  });
  play.addEventListener('click', () => {
    if (playing) {
      stop();
      return;
    }
    playing = true;
    showPlaying();
    step();
  });
  showPlaying();

  return {
    /** Shows `year` (null = all years) on the slider and its label. */
    show(y) {
      year = y;
      slider.value = String(y ?? ALL);
      label.textContent = y ? `≤ ${y}` : 'All years · 全部';
      label.dataset.year = y ? String(y) : '';
    },
    stop,
  };
}
