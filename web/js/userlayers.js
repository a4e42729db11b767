// Imported point layers: every collection but the boundaries and the default layer, each drawn
// from its own tiles in its own colour, listed with a checkbox under "Your layers".

import {getJSON} from './api.js';
import {h} from './dom.js';
import {userLayerStyle} from './style.js';

const NOT_IMPORTED = new Set(['provinces', 'prefectures', 'counties', 'clusters']);

/**
 * Adds the imported layers to `map` (below layer `before`) and lists them in `list`;
 * `onLayer(sourceId, name, clickableLayerIds)` is told of each one.
 */
export async function addUserLayers(map, list, before, onLayer) {
  const collections = (await getJSON('collections')).collections;
  const names = collections.map((c) => c.id).filter((id) => !NOT_IMPORTED.has(id));
  if (!names.length) return;
  const rows = names.map((name, i) => {
    const u = userLayerStyle(name, i);
    map.addSource(u.id, u.source);
    for (const l of u.layers) map.addLayer(l, before);
    onLayer(u.id, name, [`${u.id}-circles`, `${u.id}-points`]);
    const title = collections.find((c) => c.id === name).title || name;
    return h('li', {dataset: {userLayer: name}}, h('label', {},
      h('input', {type: 'checkbox', checked: true, onchange: (e) => {
        for (const l of u.layers) map.setLayoutProperty(l.id, 'visibility', e.target.checked ? 'visible' : 'none');
      }}),
      h('span', {class: 'swatch', style: `background:${u.color}`}), ` ${title}`));
  });
  list.replaceChildren(h('h4', {}, 'Your layers'), h('ul', {}, rows));
}
