// Shared by every page: the visitor's API key (session storage only), calls to this server's API
// with errors in plain words, job progress from its SSE events, tabs and copy buttons.
'use strict';
(function () {
  const KEY = 'pictor.apiKey';

  function getKey() {
    try { return sessionStorage.getItem(KEY) || ''; } catch (e) { return ''; }
  }
  function setKey(value) {
    try {
      if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
    } catch (e) { /* storage disabled: the key lives only in the field */ }
    document.querySelectorAll('[data-key-input]').forEach((el) => { if (el.value !== value) el.value = value; });
    document.dispatchEvent(new CustomEvent('pictor:key', { detail: value }));
  }

  // What went wrong, said for a person (the API's own message is kept: it names the field).
  function plainError(status, body) {
    const e = body && body.error ? body.error : null;
    const msg = e && e.message ? e.message : '';
    if (status === 401) return 'This needs an API key. ' + (msg.includes('Incorrect') ? 'The key you gave is not known here.' : 'Paste one in the key field (an operator creates them in the playground or with `pictor keys create`).');
    if (status === 403) return msg || 'Your key is not allowed to do this.';
    if (status === 429) return 'Too many requests just now; wait a moment and try again.' + (msg ? ' (' + msg + ')' : '');
    if (status === 413) return 'That upload is larger than this server accepts.';
    if (status >= 500) return 'The server failed: ' + (msg || 'HTTP ' + status) + '.';
    if (status === 0) return 'Could not reach the server. Is it still running?';
    return msg || 'The request failed (HTTP ' + status + ').';
  }

  class ApiError extends Error {
    constructor(status, body) { super(plainError(status, body)); this.status = status; this.body = body; }
  }

  function headers(extra, withKey) {
    const h = Object.assign({}, extra || {});
    const key = getKey();
    if (withKey !== false && key) h.Authorization = 'Bearer ' + key;
    return h;
  }

  // fetch + JSON + plain-words errors. opts.key === false sends no key (arena: the voter cookie).
  async function api(path, opts) {
    opts = opts || {};
    const init = { method: opts.method || 'GET', headers: headers(opts.headers, opts.key), credentials: 'same-origin', signal: opts.signal };
    if (opts.json !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.json);
    }
    let res;
    try { res = await fetch(path, init); } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, null);
    }
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = { error: { message: text.slice(0, 200) } }; }
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }

  // Reads an SSE stream with the key in a header (EventSource cannot send one). onEvent(name, data).
  async function events(path, onEvent, signal) {
    const res = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), credentials: 'same-origin', signal });
    if (!res.ok || !res.body) {
      let body = null;
      try { body = await res.json(); } catch (e) { /* not JSON */ }
      throw new ApiError(res.status, body);
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let at;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const chunk = buf.slice(0, at);
        buf = buf.slice(at + 2);
        let name = 'message', data = '';
        for (const line of chunk.split('\n')) {
          if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
        if (!data) continue;
        let parsed = data;
        try { parsed = JSON.parse(data); } catch (e) { /* plain text */ }
        if (onEvent(name, parsed) === false) { reader.cancel(); return; }
      }
    }
  }

  // Submits a gateway job and follows it to the end: progress via the job's SSE events, falling
  // back to long-polling. onProgress(job). Returns the finished job.
  async function runJob(body, onProgress, signal) {
    let job = await api('/v1/generations', { method: 'POST', json: body, signal });
    onProgress(job);
    const finished = (j) => ['completed', 'failed', 'canceled'].includes(j.status);
    if (finished(job)) return job;
    try {
      await events('/v1/generations/' + encodeURIComponent(job.id) + '/events', (name, data) => {
        if (data && typeof data === 'object') {
          if (data.object === 'generation') job = data; else job = Object.assign({}, job, data);
          onProgress(job);
        }
        return !finished(job);
      }, signal);
    } catch (e) {
      if (e.name === 'AbortError') throw e;
    }
    while (!finished(job)) {
      job = await api('/v1/generations/' + encodeURIComponent(job.id) + '?wait=20', { signal });
      onProgress(job);
    }
    if (job.object !== 'generation' || !job.output) job = await api('/v1/generations/' + encodeURIComponent(job.id), { signal });
    return job;
  }

  // Media need the key: fetch them and show a blob: URL.
  async function mediaUrl(url, signal) {
    const res = await fetch(url, { headers: headers(), credentials: 'same-origin', signal });
    if (!res.ok) throw new ApiError(res.status, null);
    return URL.createObjectURL(await res.blob());
  }

  function fileToDataUrl(file) {
    return new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(r.result);
      r.onerror = () => reject(new Error('Could not read the file ' + file.name));
      r.readAsDataURL(file);
    });
  }

  function setStatus(el, text, isError) {
    if (!el) return;
    el.textContent = text;
    el.classList.toggle('error', !!isError);
  }

  // Tab lists: arrow keys move between tabs (WAI-ARIA tabs pattern); onSelect(button).
  function tabs(list, onSelect) {
    const buttons = Array.from(list.querySelectorAll('[role="tab"]'));
    const select = (b, focus) => {
      buttons.forEach((x) => { x.setAttribute('aria-selected', String(x === b)); x.tabIndex = x === b ? 0 : -1; });
      if (focus) b.focus();
      onSelect(b);
    };
    buttons.forEach((b, i) => {
      b.addEventListener('click', () => select(b, false));
      b.addEventListener('keydown', (e) => {
        const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
        if (d) { e.preventDefault(); select(buttons[(i + d + buttons.length) % buttons.length], true); }
      });
    });
  }

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
      if (button) { const old = button.textContent; button.textContent = 'Copied'; setTimeout(() => { button.textContent = old; }, 1200); }
    } catch (e) {
      if (button) button.textContent = 'Select and copy';
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    const key = getKey();
    document.querySelectorAll('[data-key-input]').forEach((el) => {
      el.value = key;
      el.addEventListener('change', () => setKey(el.value.trim()));
    });
    document.querySelectorAll('select[data-autosubmit]').forEach((el) => el.addEventListener('change', () => el.form.submit()));
    document.querySelectorAll('.code .copy').forEach((b) => b.addEventListener('click', () => copy(b.parentElement.querySelector('code').textContent, b)));
  });

  window.pictor = { getKey, setKey, api, events, runJob, mediaUrl, fileToDataUrl, setStatus, tabs, copy, plainError, ApiError };
})();
