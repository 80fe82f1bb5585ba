// The model page's API section: language tabs, text-to-image / edit switch, and "Run", which sends
// the request shown with the visitor's key and prints the JSON response and the image.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  const api = document.querySelector('[data-api]');
  if (!api) return;
  const P = window.pictor;
  let lang = 'python', mode = 'generate';
  const show = () => {
    api.querySelectorAll('.code').forEach((c) => { c.hidden = !(c.dataset.lang === lang && c.dataset.mode === mode); });
    api.querySelectorAll('.edit-only').forEach((e) => { e.hidden = mode !== 'edit'; });
  };
  P.tabs(api.querySelector('[role="tablist"]'), (b) => { lang = b.dataset.lang; show(); });
  api.querySelectorAll('input[name="api-mode"]').forEach((r) => r.addEventListener('change', () => { mode = r.value; show(); }));

  const form = api.querySelector('form[data-run]');
  const status = form.querySelector('.status');
  const progress = form.querySelector('progress');
  const out = form.querySelector('.run-out');
  const img = out.querySelector('img');
  const code = out.querySelector('code');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    const keyField = form.querySelector('[data-key-input]');
    if (keyField.value.trim() !== P.getKey()) P.setKey(keyField.value.trim());
    const input = { prompt: form.prompt.value, quality: 'low' };
    if (form.dataset.size) input.size = form.dataset.size;
    if (mode === 'edit') {
      const file = form.image && form.image.files[0];
      if (!file) { P.setStatus(status, 'Choose an image to edit first.', true); return; }
      input.images = [await P.fileToDataUrl(file)];
    }
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    P.setStatus(status, 'Sending…');
    try {
      const job = await P.runJob({ model: form.dataset.model, input, wait: 0 }, (j) => {
        progress.value = j.progress || 0;
        P.setStatus(status, j.status === 'queued' ? 'Queued' + (j.queue_position ? ' (' + j.queue_position + ' ahead)' : '') + '…'
                                                  : 'Running… ' + Math.round((j.progress || 0) * 100) + ' %');
      });
      out.hidden = false;
      code.textContent = JSON.stringify(job, null, 2);
      if (job.status !== 'completed') {
        P.setStatus(status, 'The job ' + job.status + (job.error ? ': ' + job.error.message : '.'), true);
        img.hidden = true;
        return;
      }
      img.src = await P.mediaUrl(job.output.media[0].url);
      img.hidden = false;
      P.setStatus(status, 'Done in ' + (job.metrics && job.metrics.run_s != null ? job.metrics.run_s.toFixed(2) + ' s' : 'a moment') +
                          (job.cost ? ', cost $' + job.cost.usd : '') + '.');
    } catch (err) {
      P.setStatus(status, err.message, true);
    } finally {
      button.disabled = false;
      progress.hidden = true;
    }
  });
});
