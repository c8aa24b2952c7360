// Progressive enhancement: the form rows write the JSON filter and ask for a
// live count; without JavaScript the JSON textarea is the editor.
(() => {
  const filter = document.getElementById('filter'), rows = document.getElementById('rows');
  const combine = document.getElementById('combine'), count = document.getElementById('count');
  const countError = document.getElementById('count-error'), tpl = document.getElementById('row-template');
  const typed = v => { const t = v.trim(); return t !== '' && !/^0\d/.test(t) && !isNaN(Number(t)) ? Number(t) : t; };
  function show(row) {
    const kind = row.querySelector('.kind').value;
    row.querySelectorAll('.for-attribute').forEach(e => e.hidden = kind !== 'attribute');
    row.querySelector('.for-list').hidden = kind !== 'list';
    row.querySelector('.for-status').hidden = kind !== 'status';
    row.querySelectorAll('.for-activity').forEach(e => e.hidden = kind !== 'activity');
  }
  function condition(row) {
    const kind = row.querySelector('.kind').value;
    let c;
    if (kind === 'list') c = {list: {list_id: Number(row.querySelector('.list').value)}};
    else if (kind === 'status') c = {status: row.querySelector('.status').value};
    else if (kind === 'activity') {
      const campaign = row.querySelector('.campaign').value, days = row.querySelector('.days').value;
      c = {activity: {did: row.querySelector('.did').value}};
      if (campaign) c.activity.campaign_id = Number(campaign);
      if (days) c.activity.within_days = Number(days);
    }
    else {
      const op = row.querySelector('.op').value, raw = row.querySelector('.value').value;
      let value = typed(raw);
      if (op === 'in') value = raw.split(',').map(typed);
      if (op === 'exists' || op === 'not_exists') value = null;
      c = {attribute: {key: row.querySelector('.key').value.trim(), op, value}};
    }
    return row.querySelector('.negate').checked ? {not: c} : c;
  }
  function write() {
    const conds = [...rows.children].map(condition);
    filter.value = JSON.stringify(conds.length === 1 ? conds[0] : {[combine.value]: conds}, null, 2);
    refresh();
  }
  let timer;
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      let body;
      try { body = JSON.stringify({filter: JSON.parse(filter.value)}); } catch (e) { countError.textContent = countError.dataset.invalidJson || 'The JSON is not valid.'; return; }
      const r = await fetch('/segments/count', {method: 'POST', headers: {'content-type': 'application/json',
        'x-csrf-token': document.getElementById('csrf').value}, body});
      const answer = await r.json();
      count.textContent = r.ok ? answer.count.toLocaleString() : '–';
      countError.textContent = r.ok ? '' : answer.error + (answer.field ? ' (' + answer.field + ')' : '');
    }, 250);
  }
  function addRow(c) {
    const row = tpl.content.firstElementChild.cloneNode(true);
    rows.appendChild(row);
    if (c) {
      if (c.not) { row.querySelector('.negate').checked = true; c = c.not; }
      if (c.list) { row.querySelector('.kind').value = 'list'; row.querySelector('.list').value = c.list.list_id; }
      else if (c.status) { row.querySelector('.kind').value = 'status'; row.querySelector('.status').value = c.status; }
      else if (c.activity) {
        row.querySelector('.kind').value = 'activity'; row.querySelector('.did').value = c.activity.did;
        row.querySelector('.campaign').value = c.activity.campaign_id || '';
        row.querySelector('.days').value = c.activity.within_days || '';
      }
      else if (c.attribute) {
        row.querySelector('.key').value = c.attribute.key; row.querySelector('.op').value = c.attribute.op;
        const v = c.attribute.value; row.querySelector('.value').value = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(',') : v;
      }
    }
    show(row);
    row.addEventListener('input', () => { show(row); write(); });
    row.addEventListener('change', () => { show(row); write(); });
    row.querySelector('.remove').addEventListener('click', () => { row.remove(); write(); });
  }
  // Load the current filter into rows when it has their shape.
  let current = null;
  try { current = JSON.parse(filter.value); } catch (e) {}
  const flat = c => c && !c.and && !c.or && !(c.not && (c.not.and || c.not.or || c.not.not));
  let list = null;
  if (current === null) list = [];
  else if (current.and && current.and.every(flat)) { list = current.and; combine.value = 'and'; }
  else if (current.or && current.or.every(flat)) { list = current.or; combine.value = 'or'; }
  else if (flat(current)) list = [current];
  if (list !== null) {
    document.getElementById('builder').hidden = false;
    list.forEach(addRow);
    if (list.length === 0) { addRow(); write(); }
  }
  document.getElementById('add-row').addEventListener('click', () => { addRow(); write(); });
  combine.addEventListener('change', write);
  filter.addEventListener('input', refresh);
  if (filter.value) refresh();
})();
