// The playground: a request form for /v1/generations (prompt, model, quality, size, format, n,
// seed, an input image and a mask painted on it), progress from the job's SSE events, the images,
// JSON, usage and cost, the same request as curl / Python / JS, and key management for admins.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  const P = window.pictor;
  const config = JSON.parse(document.getElementById('playground-config').textContent);
  const $ = (id) => document.getElementById(id);
  const form = $('gen-form');
  const status = $('gen-status');
  const progress = $('gen-progress');
  const modelSel = $('gen-model');

  // --- the form follows the chosen model's capabilities
  const modelOf = () => config.models.find((m) => m.id === modelSel.value) || config.models[0];
  function fill(select, values, preferred) {
    const old = select.value;
    select.textContent = '';
    values.forEach((v) => {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = v;
      select.appendChild(o);
    });
    select.value = values.includes(old) ? old : values.includes(preferred) ? preferred : values[0];
  }
  function onModel() {
    const m = modelOf();
    if (!m) return;
    const sizes = m.sizes && m.sizes.length ? m.sizes : ['auto'];
    fill($('gen-size'), sizes, sizes.find((s) => s !== 'auto'));
    fill($('gen-format'), m.output_formats && m.output_formats.length ? m.output_formats : ['png'], 'png');
    $('gen-n').max = String(m.max_n || 1);
    $('edit-box').hidden = !m.edits;
    if (!m.edits) clearImage();
    renderCode();
  }
  modelSel.addEventListener('change', onModel);

  // --- input image and mask: paint strokes on `paint`; the mask sent is opaque except where painted
  const canvas = $('mask-canvas');
  const ctx = canvas.getContext('2d');
  const paint = document.createElement('canvas');
  let image = null, imageDataUrl = null, painted = false, drawing = false;
  function redraw() {
    if (!image) return;
    ctx.globalAlpha = 1;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0);
    ctx.globalAlpha = 0.55;
    ctx.drawImage(paint, 0, 0);
    ctx.globalAlpha = 1;
  }
  function clearMask() {
    paint.getContext('2d').clearRect(0, 0, paint.width, paint.height);
    painted = false;
    canvas.dataset.painted = '0';
    redraw();
    renderCode();
  }
  function clearImage() {
    image = null;
    imageDataUrl = null;
    painted = false;
    $('gen-image').value = '';
    $('mask-tools').hidden = true;
  }
  $('gen-image').addEventListener('change', async () => {
    const file = $('gen-image').files[0];
    if (!file) { clearImage(); renderCode(); return; }
    imageDataUrl = await P.fileToDataUrl(file);
    const img = new Image();
    img.onload = () => {
      image = img;
      canvas.width = paint.width = img.naturalWidth;
      canvas.height = paint.height = img.naturalHeight;
      $('mask-tools').hidden = false;
      clearMask();
    };
    img.onerror = () => P.setStatus(status, 'That file is not an image this browser can read.', true);
    img.src = imageDataUrl;
  });
  function stroke(e) {
    const r = canvas.getBoundingClientRect();
    const x = (e.clientX - r.left) * (canvas.width / r.width);
    const y = (e.clientY - r.top) * (canvas.height / r.height);
    const p = paint.getContext('2d');
    p.fillStyle = '#ff2d55';
    p.beginPath();
    p.arc(x, y, Number($('brush').value) * (canvas.width / Math.max(1, r.width)) / 2, 0, Math.PI * 2);
    p.fill();
    painted = true;
    canvas.dataset.painted = '1';
    redraw();
  }
  canvas.addEventListener('pointerdown', (e) => { drawing = true; canvas.setPointerCapture(e.pointerId); stroke(e); });
  canvas.addEventListener('pointermove', (e) => { if (drawing) stroke(e); });
  canvas.addEventListener('pointerup', () => { drawing = false; renderCode(); });
  canvas.addEventListener('pointercancel', () => { drawing = false; });
  $('mask-clear').addEventListener('click', clearMask);
  $('image-remove').addEventListener('click', () => { clearImage(); renderCode(); });
  function maskDataUrl() {
    const m = document.createElement('canvas');
    m.width = paint.width;
    m.height = paint.height;
    const c = m.getContext('2d');
    c.fillStyle = '#000';
    c.fillRect(0, 0, m.width, m.height);
    c.globalCompositeOperation = 'destination-out';  // painted = transparent = the area to change
    c.drawImage(paint, 0, 0);
    return m.toDataURL('image/png');
  }

  // --- the request and its code
  function request(forCode) {
    const input = { prompt: form.prompt.value, quality: form.quality.value, size: form.size.value, output_format: form.output_format.value };
    const n = Number(form.n.value);
    if (n > 1) input.n = n;
    if (form.seed.value !== '') input.seed = Number(form.seed.value);
    if (image) {
      input.images = [forCode ? 'data:image/png;base64,…' : imageDataUrl];
      if (painted) input.mask = forCode ? 'data:image/png;base64,…' : maskDataUrl();
    }
    return { model: modelSel.value, input, wait: forCode ? 'auto' : 0 };
  }
  let lang = 'curl';
  function renderCode() {
    const body = request(true);
    const json = JSON.stringify(body, null, 2);
    const base = config.base_url;
    let text;
    if (lang === 'curl') {
      text = 'curl -s ' + base + '/v1/generations \\\n  -H "Authorization: Bearer $PICTOR_API_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d \'' +
             JSON.stringify(body).replace(/'/g, "'\\''") + '\'\n';
    } else if (lang === 'python') {
      text = 'import time\nimport requests\n\nBASE = "' + base + '/v1"\nHEADERS = {"Authorization": "Bearer YOUR_API_KEY"}\n\njob = requests.post(f"{BASE}/generations", headers=HEADERS, json=' +
             json.replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False') + ').json()\nwhile job["status"] in ("queued", "running"):\n    time.sleep(1)\n' +
             '    job = requests.get(f"{BASE}/generations/{job[\'id\']}?wait=30", headers=HEADERS).json()\nprint(job["output"]["media"][0]["url"])\n';
    } else {
      text = 'const BASE = "' + base + '/v1";\nconst headers = { Authorization: `Bearer ${process.env.PICTOR_API_KEY}`, "Content-Type": "application/json" };\n' +
             'let job = await (await fetch(`${BASE}/generations`, { method: "POST", headers, body: JSON.stringify(' + json + ') })).json();\n' +
             'while (job.status === "queued" || job.status === "running")\n  job = await (await fetch(`${BASE}/generations/${job.id}?wait=30`, { headers })).json();\n' +
             'console.log(job.output.media[0].url);\n';
    }
    $('code-out').textContent = text;
  }
  P.tabs(document.querySelector('[aria-labelledby="code-h"] [role="tablist"]'), (b) => { lang = b.dataset.lang; renderCode(); });
  form.addEventListener('input', renderCode);

  // --- running it
  let controller = null, jobId = null;
  $('gen-cancel').addEventListener('click', async () => {
    if (!jobId) return;
    try { await P.api('/v1/generations/' + encodeURIComponent(jobId) + '/cancel', { method: 'POST' }); } catch (e) { P.setStatus(status, e.message, true); }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!config.no_auth && !P.getKey()) {
      P.setStatus(status, 'Paste an API key above first: this server needs one to generate.', true);
      $('api-key').focus();
      return;
    }
    const run = $('gen-run');
    run.disabled = true;
    $('gen-cancel').hidden = false;
    progress.hidden = false;
    progress.value = 0;
    P.setStatus(status, 'Sending…');
    controller = new AbortController();
    const started = performance.now();
    try {
      const job = await P.runJob(request(false), (j) => {
        jobId = j.id;
        progress.value = j.progress || 0;
        P.setStatus(status, j.status === 'queued' ? 'Queued' + (j.queue_position ? ', ' + j.queue_position + ' ahead' : '') + '…'
                                                  : j.status === 'running' ? 'Drawing… ' + Math.round((j.progress || 0) * 100) + ' %' : j.status);
      }, controller.signal);
      await showResult(job, (performance.now() - started) / 1000);
    } catch (err) {
      P.setStatus(status, err.message, true);
    } finally {
      run.disabled = false;
      $('gen-cancel').hidden = true;
      progress.hidden = true;
      jobId = null;
    }
  });

  async function showResult(job, wall) {
    $('result').hidden = false;
    $('result-json').textContent = JSON.stringify(job, null, 2);
    const list = $('result-images');
    list.textContent = '';
    const usage = $('result-usage');
    usage.textContent = '';
    const fact = (k, v) => {
      const d = document.createElement('div');
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      d.append(dt, dd);
      usage.appendChild(d);
    };
    if (job.status !== 'completed') {
      P.setStatus(status, job.status === 'canceled' ? 'Canceled.' : 'The job failed: ' + (job.error ? job.error.message : 'no reason given') + '.', true);
      return;
    }
    for (const m of job.output.media) {
      const li = document.createElement('li');
      const fig = document.createElement('figure');
      const img = document.createElement('img');
      img.alt = 'Generated image for: ' + form.prompt.value;
      img.width = m.width;
      img.height = m.height;
      img.src = await P.mediaUrl(m.url);
      const cap = document.createElement('figcaption');
      cap.textContent = m.width + '×' + m.height + ' ' + m.content_type;
      fig.append(img, cap);
      li.appendChild(fig);
      list.appendChild(li);
    }
    fact('Images', String(job.output.media.length));
    if (job.cost) fact('Cost', '$' + job.cost.usd + ' ($' + job.cost.price_per_image + ' per image)');
    if (job.usage && job.usage.compute_seconds != null) fact('Compute', job.usage.compute_seconds.toFixed(2) + ' s');
    if (job.usage && job.usage.total_tokens != null) fact('Tokens', job.usage.input_tokens + ' in, ' + job.usage.output_tokens + ' out');
    if (job.metrics) fact('Queue / run', (job.metrics.queue_s || 0).toFixed(2) + ' s / ' + (job.metrics.run_s || 0).toFixed(2) + ' s');
    if (job.output.seed != null) fact('Seed', String(job.output.seed));
    fact('Provider', job.provider || 'local');
    P.setStatus(status, 'Done in ' + wall.toFixed(1) + ' s.');
  }

  // --- keys: a pasted key, and admin key management
  const keyStatus = $('key-status');
  async function checkKey() {
    const key = P.getKey();
    $('key-admin').hidden = true;
    if (!key && !config.no_auth) { P.setStatus(keyStatus, 'No key yet. Paste one to generate.'); return; }
    try {
      const list = await P.api('/v1/keys');
      P.setStatus(keyStatus, config.no_auth && !key ? 'This server runs without keys (loopback, --no-auth): you act as its operator.' : 'Key accepted; it has the admin scope.');
      $('key-admin').hidden = false;
      renderKeys(list.data);
    } catch (e) {
      if (e.status === 403 && e.body && e.body.error && e.body.error.code === 'forbidden') P.setStatus(keyStatus, 'Key accepted.');
      else P.setStatus(keyStatus, e.message, true);
    }
  }
  function renderKeys(keys) {
    const body = $('key-table').tBodies[0];
    body.textContent = '';
    keys.forEach((k) => {
      const tr = document.createElement('tr');
      const cells = [k.name, k.prefix + '…', new Date(k.created_at * 1000).toISOString().slice(0, 16).replace('T', ' '), k.status, k.admin ? 'admin' : 'generate'];
      cells.forEach((c, i) => {
        const td = document.createElement(i === 0 ? 'th' : 'td');
        if (i === 0) td.scope = 'row';
        td.textContent = c;
        tr.appendChild(td);
      });
      const td = document.createElement('td');
      if (k.status === 'active') {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'ghost small';
        b.textContent = 'Revoke';
        b.setAttribute('aria-label', 'Revoke key ' + k.name);
        b.addEventListener('click', async () => {
          if (b.dataset.confirm !== '1') { b.dataset.confirm = '1'; b.textContent = 'Confirm revoke'; return; }
          try {
            await P.api('/v1/keys/' + encodeURIComponent(k.id), { method: 'DELETE' });
            P.setStatus(keyStatus, 'Revoked ' + k.name + '.');
            checkKey();
          } catch (e) { P.setStatus(keyStatus, e.message, true); }
        });
        td.appendChild(b);
      }
      tr.appendChild(td);
      body.appendChild(tr);
    });
  }
  $('key-create').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      const k = await P.api('/v1/keys', { method: 'POST', json: { name: f.name.value.trim(), admin: f.admin.checked } });
      $('key-new').hidden = false;
      $('key-new-name').textContent = k.name;
      $('key-new-value').textContent = k.key;
      f.reset();
      const list = await P.api('/v1/keys');
      renderKeys(list.data);
      P.setStatus(keyStatus, 'Created ' + k.name + '.');
    } catch (err) { P.setStatus(keyStatus, err.message, true); }
  });
  $('key-new-copy').addEventListener('click', (e) => P.copy($('key-new-value').textContent, e.target));
  $('key-new-use').addEventListener('click', () => { P.setKey($('key-new-value').textContent); $('key-new').hidden = true; });
  $('key-forget').addEventListener('click', () => P.setKey(''));
  document.addEventListener('pictor:key', checkKey);

  onModel();
  checkKey();
});
