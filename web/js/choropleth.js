// The choropleth on the map: a /density answer written into the feature state of its level's
// units, the fill colours for its classes, which level's fill shows, and the hover label.

import {fmt} from './dom.js';
import {MEASURE_LABEL} from './legend.js';
import {LEVELS, choroplethColor} from './style.js';

/** Shows the fill of `level` only. */
export function showLevel(map, level) {
  for (const [l, {layer}] of Object.entries(LEVELS)) {
    map.setLayoutProperty(`${layer}-fill`, 'visibility', l === level ? 'visible' : 'none');
  }
}

/** Colours the units of `d.level` by the classes and values of /density answer `d`. */
export function paintDensity(map, d) {
  const {layer} = LEVELS[d.level];
  map.removeFeatureState({source: layer, sourceLayer: layer});
  for (const f of d.features) {
    map.setFeatureState({source: layer, sourceLayer: layer, id: f.properties.code}, {cls: f.properties.class, value: f.properties.value});
  }
  map.setPaintProperty(`${layer}-fill`, 'fill-color', choroplethColor(d.breaks.length - 1));
}

/** A label under the pointer naming the unit of `level` there and its `measure` value (hidden off the units). */
export function hoverLabel(map, tip, e, {level, measure}) {
  const unit = map.queryRenderedFeatures(e.point, {layers: [`${LEVELS[level].layer}-fill`]})[0];
  if (!unit) {
    tip.hidden = true;
    return;
  }
  const st = map.getFeatureState({source: unit.source, sourceLayer: unit.sourceLayer, id: unit.properties.code});
  const value = st.value === undefined || st.value === null ? '–' : fmt(st.value, measure === 'count' ? 0 : 2);
  tip.textContent = `${unit.properties.name_zh} · ${MEASURE_LABEL[measure]}: ${value}`;
  tip.style.left = `${e.point.x + 12}px`;
  tip.style.top = `${e.point.y + 12}px`;
  tip.hidden = false;
}
