// The arena: start a battle (POST /v1/arena/battles, as the anonymous voter cookie), show the
// anonymous images as they finish, take a vote or a ranking, then reveal the models and their
// new scores. Nothing here knows a model's name before the vote's response names it.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  const P = window.pictor;
  const form = document.getElementById('battle-form');
  const status = document.getElementById('battle-status');
  const section = document.getElementById('battle');
  const slotsEl = document.getElementById('slots');
  const progress = document.getElementById('battle-progress');
  const voteBar = document.getElementById('vote-bar');
  const rankSubmit = document.getElementById('rank-submit');
  const reveal = document.getElementById('reveal');
  const editOnly = form.querySelector('.edit-only');
  let battle = null, voting = false;

  const arenaValue = () => form.querySelector('input[name="arena"]:checked').value;
  form.querySelectorAll('input[name="arena"]').forEach((r) => r.addEventListener('change', () => {
    editOnly.hidden = arenaValue() !== 'image-edit';
  }));

  const label = (slot) => slot.toUpperCase();

  function renderSlots() {
    const n = battle.slots.length;
    slotsEl.textContent = '';
    battle.slots.forEach((s) => {
      const li = document.createElement('li');
      li.className = 'slot';
      li.dataset.slot = s.slot;
      const who = document.createElement('p');
      who.className = 'who';
      who.textContent = 'Image ' + label(s.slot);
      const frame = document.createElement('div');
      frame.className = 'frame';
      if (s.status === 'ready' && s.image) {
        const img = document.createElement('img');
        img.src = s.image.url;
        img.alt = 'Image ' + label(s.slot) + ' for the prompt';
        img.width = s.image.width;
        img.height = s.image.height;
        frame.appendChild(img);
      } else {
        frame.textContent = s.status === 'failed' ? 'This image failed' : 'Drawing…';
      }
      li.append(who, frame);
      if (battle.status === 'ready') {
        const best = document.createElement('button');
        best.type = 'button';
        best.dataset.winner = s.slot;
        best.textContent = n === 2 ? label(s.slot) + ' is better' : label(s.slot) + ' is best';
        best.addEventListener('click', () => vote({ winner: s.slot }));
        li.appendChild(best);
        if (n > 2) {
          const l = document.createElement('label');
          l.textContent = 'Rank ';
          const sel = document.createElement('select');
          sel.dataset.rank = s.slot;
          sel.setAttribute('aria-label', 'Rank of image ' + label(s.slot));
          const none = document.createElement('option');
          none.value = '';
          none.textContent = '—';
          sel.appendChild(none);
          for (let i = 1; i <= n; ++i) {
            const o = document.createElement('option');
            o.value = String(i);
            o.textContent = String(i);
            sel.appendChild(o);
          }
          sel.addEventListener('change', updateRankButton);
          l.appendChild(sel);
          li.appendChild(l);
        }
      }
      slotsEl.appendChild(li);
    });
    const ready = battle.slots.filter((s) => s.status === 'ready').length;
    progress.value = ready / n;
    progress.hidden = battle.status !== 'pending';
    voteBar.hidden = battle.status !== 'ready';
    rankSubmit.hidden = n === 2;
    updateRankButton();
  }

  function updateRankButton() {
    const sels = Array.from(slotsEl.querySelectorAll('select[data-rank]'));
    rankSubmit.disabled = sels.length === 0 || sels.some((s) => !s.value);
  }

  async function follow(id) {
    while (battle && battle.id === id && battle.status === 'pending') {
      try {
        battle = await P.api('/v1/arena/battles/' + encodeURIComponent(id) + '?wait=2', { key: false });
      } catch (e) {
        P.setStatus(status, e.message, true);
        return;
      }
      const ready = battle.slots.filter((s) => s.status === 'ready').length;
      P.setStatus(status, battle.status === 'pending' ? ready + ' of ' + battle.slots.length + ' images ready…' : '');
      renderSlots();
    }
    if (battle.status === 'failed') P.setStatus(status, 'A model failed to draw its image, so this battle cannot be voted on. Start another.', true);
    else if (battle.status === 'expired') P.setStatus(status, 'This battle has expired. Start another.', true);
    else if (battle.status === 'ready') {
      P.setStatus(status, 'Pick the image that fits the prompt best.');
      const first = slotsEl.querySelector('button[data-winner]');
      if (first) first.focus();
    }
  }

  async function vote(outcome) {
    if (!battle || voting) return;
    voting = true;
    voteBar.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    slotsEl.querySelectorAll('button, select').forEach((b) => { b.disabled = true; });
    P.setStatus(status, 'Sending your vote…');
    try {
      const result = await P.api('/v1/arena/battles/' + encodeURIComponent(battle.id) + '/vote', { method: 'POST', json: outcome, key: false });
      showReveal(result);
    } catch (e) {
      P.setStatus(status, e.message, true);
      voteBar.querySelectorAll('button').forEach((b) => { b.disabled = false; });
      slotsEl.querySelectorAll('button, select').forEach((b) => { b.disabled = false; });
    } finally {
      voting = false;
    }
  }

  function showReveal(result) {
    battle = result;
    voteBar.hidden = true;
    const ranks = result.vote ? result.vote.ranks : {};
    const best = Math.min.apply(null, Object.values(ranks));
    const list = document.getElementById('reveal-list');
    list.textContent = '';
    (result.ratings || []).forEach((r) => {
      const li = document.createElement('li');
      const slotEl = slotsEl.querySelector('[data-slot="' + r.slot + '"]');
      if (slotEl) {
        slotEl.querySelector('.who').textContent = 'Image ' + label(r.slot) + ': ' + r.model;
        if (ranks[r.slot] === best) slotEl.classList.add('winner');
        slotEl.querySelectorAll('button, label').forEach((x) => x.remove());
      }
      const link = document.createElement('a');
      link.href = '/models/' + encodeURIComponent(r.model);
      link.textContent = r.model;
      const delta = r.after.score - r.before.score;
      const d = document.createElement('span');
      d.className = delta >= 0 ? 'up' : 'down';
      d.textContent = (delta >= 0 ? '▲ +' : '▼ ') + delta.toFixed(2);
      li.append('Image ' + label(r.slot) + ' (place ' + (ranks[r.slot] + 1) + '): ', link, ' — score ' + r.before.score.toFixed(2) + ' → ' + r.after.score.toFixed(2) + ' ', d,
                ' (' + r.after.votes + ' votes)');
      list.appendChild(li);
    });
    const note = document.getElementById('reveal-note');
    note.textContent = result.vote && !result.vote.counted
      ? 'Your vote was stored but not counted (' + String(result.vote.exclusion_reason).replace(/_/g, ' ') + ').'
      : 'Your vote counted. Scores are TrueSkill μ − 3σ on the overall board.';
    reveal.hidden = false;
    P.setStatus(status, 'Thanks for voting.');
    document.getElementById('next-battle').focus();
  }

  rankSubmit.addEventListener('click', () => {
    const sels = Array.from(slotsEl.querySelectorAll('select[data-rank]'));
    const groups = {};
    sels.forEach((s) => { (groups[s.value] = groups[s.value] || []).push(s.dataset.rank); });
    const ranking = Object.keys(groups).sort((a, b) => Number(a) - Number(b)).map((k) => groups[k]);
    vote({ ranking });
  });
  voteBar.querySelectorAll('button[data-vote]').forEach((b) => b.addEventListener('click', () => vote({ winner: b.dataset.vote })));

  async function start() {
    const body = { arena: arenaValue(), contestants: Number(form.contestants.value) };
    const prompt = form.prompt.value.trim();
    if (prompt) body.prompt = prompt;
    if (body.arena === 'image-edit') {
      if (Number(form.dataset.editors) < body.contestants) {
        P.setStatus(status, 'Too few models here can edit images for a battle of ' + body.contestants + '.', true);
        return;
      }
      const file = form.image.files[0];
      if (file) body.image = await P.fileToDataUrl(file);
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    P.setStatus(status, 'Starting a battle…');
    // The last battle's names go with it: nothing of them stays in the page.
    reveal.hidden = true;
    document.getElementById('reveal-list').textContent = '';
    document.getElementById('reveal-note').textContent = '';
    slotsEl.textContent = '';
    battle = null;
    try {
      battle = await P.api('/v1/arena/battles', { method: 'POST', json: body, key: false });
    } catch (e) {
      P.setStatus(status, e.message, true);
      button.disabled = false;
      return;
    }
    button.disabled = false;
    section.hidden = false;
    document.getElementById('battle-prompt-text').textContent = battle.prompt.text;
    document.getElementById('battle-axes').textContent = battle.prompt.category + ' · ' + battle.prompt.language;
    const input = document.getElementById('battle-input');
    input.hidden = !battle.input_image;
    if (battle.input_image) input.querySelector('img').src = battle.input_image;
    renderSlots();
    section.scrollIntoView({ block: 'start' });
    follow(battle.id);
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); start(); });
  document.getElementById('next-battle').addEventListener('click', () => { form.prompt.value = ''; start(); });
});
