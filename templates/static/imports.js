// Column mapping: once a file is chosen, its header row is read here and each
// column gets a row to send it to the email, the name, an attribute (its own
// name or another) or nowhere. The choices travel as map.<column> fields,
// placed before the file so the server has them when the upload arrives.
// The words come from #mapping's data attributes, in the admin's language.
(() => {
  const file = document.getElementById('file'), box = document.getElementById('mapping');
  const rows = document.getElementById('mapping-rows'), form = file.form;
  const guess = h => /^(e-?mail|メールアドレス|mail)$/i.test(h.trim()) ? 'email' : /^(name|氏名|名前)$/i.test(h.trim()) ? 'name' : '';
  function header(text) {
    const line = text.split(/\r?\n/)[0] || '', cells = []; let cell = '', quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) { if (c === '"' && line[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c; }
      else if (c === '"') quoted = true; else if (c === ',') { cells.push(cell); cell = ''; } else cell += c;
    }
    cells.push(cell);
    return cells.map(c => c.replace(/^\uFEFF/, ''));
  }
  function show(columns) {
    rows.textContent = '';
    for (const column of columns) {
      const tr = document.createElement('tr'), name = document.createElement('td'), to = document.createElement('td');
      name.textContent = column;
      const select = document.createElement('select'), custom = document.createElement('input');
      select.name = 'map.' + column; select.className = 'map';
      const say = box.dataset;
      for (const [value, label] of [['', say.attributeBefore + column + say.attributeAfter], ['email', say.email], ['name', say.name], ['-', say.skip], ['*', say.attributeNamed]]) {
        const o = document.createElement('option'); o.value = value; o.textContent = label; select.appendChild(o);
      }
      select.value = guess(column);
      custom.placeholder = box.dataset.attributeName; custom.hidden = true; custom.className = 'map-custom';
      select.addEventListener('change', () => { custom.hidden = select.value !== '*'; });
      custom.addEventListener('input', () => { select.options[4].value = custom.value.trim() || '*'; select.value = select.options[4].value; });
      to.append(select, custom); tr.append(name, to); rows.appendChild(tr);
    }
    box.hidden = columns.length === 0;
  }
  file.addEventListener('change', () => {
    const chosen = file.files[0]; if (!chosen) { show([]); return; }
    const encoding = form.elements.encoding.value, blob = chosen.slice(0, 65536);
    const read = (enc, then) => { const r = new FileReader(); r.onload = () => then(String(r.result)); r.readAsText(blob, enc); };
    read(encoding === 'shift_jis' ? 'shift_jis' : 'utf-8', text => {
      if (encoding === 'auto' && text.includes('\uFFFD')) read('shift_jis', t => show(header(t)));
      else show(header(text));
    });
  });
  form.addEventListener('submit', () => { for (const s of rows.querySelectorAll('select.map')) if (s.value === '*') s.value = ''; });
})();
