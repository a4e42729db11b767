// The search box: suggestions from /search (Chinese, pinyin, English) as you type, chosen with
// the mouse or the arrow keys and Enter.

import {getJSON, isAbort} from './api.js';
import {h, fill} from './dom.js';

const TYPE = {province: '省 province', prefecture: '地 prefecture', county: '县 county', cluster: '集群 cluster', park: '园区 park', town: '小镇 town'};

/** Wires the input and list; `onChoose(feature)` gets the chosen /search hit; `onError(err)`. */
export function setupSearch(input, list, onChoose, onError) {
  let hits = [];
  let active = -1;
  let controller = null;
  let timer = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    active = -1;
  };
  const render = () => {
    fill(list, hits.map((f, i) => h('li', {
      role: 'option', 'aria-selected': i === active ? 'true' : 'false', dataset: {id: f.id},
      onmousedown: (e) => { e.preventDefault(); choose(i); },
    }, h('span', {}, f.properties.name_zh, f.properties.name_en ? ` · ${f.properties.name_en}` : ''),
    h('span', {class: 'kind'}, TYPE[f.properties.type] || f.properties.type))));
    list.hidden = hits.length === 0;
    input.setAttribute('aria-expanded', String(!list.hidden));
  };
  const choose = (i) => {
    const hit = hits[i];
    if (!hit) return;
    input.value = hit.properties.name_zh;
    close();
    onChoose(hit);
  };
  const query = async () => {
    const q = input.value.trim();
    if (controller) controller.abort();
    if (!q) { hits = []; close(); return; }
    controller = new AbortController();
    try {
      const fc = await getJSON('search', {q, limit: 8}, {signal: controller.signal});
      hits = fc.features;
      active = hits.length ? 0 : -1;
      render();
    } catch (err) {
      if (!isAbort(err)) onError(err);
    }
  };

  input.addEventListener('compositionend', () => {
    clearTimeout(timer);
    timer = setTimeout(query, 150);
  });
  input.addEventListener('input', (e) => {
    if (e.isComposing) return; // wait for the characters, not the pinyin being typed
    clearTimeout(timer);
    timer = setTimeout(query, 150);
  });
  input.addEventListener('keydown', async (e) => {
    // Keys that confirm a Chinese input method's candidate belong to the IME, not to us.
    if (e.isComposing || e.keyCode === 229) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!hits.length) return;
      active = (active + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length;
      render();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(timer);
      if (list.hidden || !hits.length) await query();
      choose(Math.max(active, 0));
    } else if (e.key === 'Escape') {
      close();
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
}
