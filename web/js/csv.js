// CSV of point features, for the download button.

/** CSV (RFC 4180, UTF-8 with BOM for spreadsheet programs) of point features with lon/lat. */
export function toCsv(features) {
  const keys = [...new Set(features.flatMap((f) => Object.keys(f.properties)))];
  const cell = (v) => {
    if (v === null || v === undefined) return '';
    const s = Array.isArray(v) ? v.join('|') : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = features.map((f) => [...keys.map((k) => cell(f.properties[k])), f.geometry.coordinates[0], f.geometry.coordinates[1]].join(','));
  return '\ufeff' + [[...keys, 'lon', 'lat'].join(','), ...rows].join('\r\n') + '\r\n';
}
