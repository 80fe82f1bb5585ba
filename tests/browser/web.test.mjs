// The web pages of the real `pictor serve` in a real browser (docs/web.md): playwright-core driving
// Debian's chromium, axe-core for accessibility. Run by tests/browser/run.sh (CTest: web_browser).
// Like tests/node: train a tiny pictor-mini, make an admin key with the real `pictor keys create
// --admin`, start `pictor serve --port 0` and read the port from its first stdout line.
// Screenshots and first-contentful-paint figures go to $PICTOR_BROWSER_ARTIFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, mkdirSync, rmSync, openSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const PICTOR = process.env.PICTOR_BINARY;
const CHROMIUM = process.env.PICTOR_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.PICTOR_BROWSER_ARTIFACTS || join(tmpdir(), 'pictor-browser-artifacts');
const MODEL = 'pictor-mini';
const ENTRIES = ['pictor-mini', 'pictor-mini-fast'];  // the arena names a tiny install competes under

let scratch, server, serverLog, exitPromise, base, adminKey, browser;
const fcp = {};

function pictor(args, env = {}) {
  return execFileSync(PICTOR, args, {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', openSync(join(scratch, 'cli.log'), 'a')],
  });
}
const tail = (file) => (existsSync(file) ? readFileSync(file, 'utf8').slice(-3000) : '');

// --- a PNG to upload (8-bit RGBA), as tests/node does
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function encodePng(width, height, pixel) {
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 4)] = 0;
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), y * (1 + width * 4) + 1 + x * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
                        chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

before(async () => {
  assert.ok(PICTOR && existsSync(PICTOR), `PICTOR_BINARY must name the pictor binary (got '${PICTOR}')`);
  assert.ok(existsSync(CHROMIUM), `chromium not found at ${CHROMIUM} (scripts/setup.sh installs Debian's chromium)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'pictor-browser-'));
  const models = join(scratch, 'models');
  pictor(['train', '--preset', 'tiny', '--steps', '3', '--batch', '4', '--eval-every', '0', '--quiet',
          '--edit-fraction', '0.5', '--out', join(models, MODEL)]);
  const data = join(scratch, 'data');
  adminKey = pictor(['keys', 'create', '--name', 'operator', '--admin', '--data-dir', data]).trim();
  serverLog = join(scratch, 'server.log');
  // Votes count at once (no 2 s floor) and no pool draws battles in the background.
  server = spawn(PICTOR, ['serve', '--port', '0', '--data-dir', data, '--threads', '2', '--arena-pool', '0',
                          '--arena-min-vote-ms', '0'], {
    env: { ...process.env, PICTOR_MODELS: models },
    stdio: ['ignore', 'pipe', openSync(serverLog, 'a')],
  });
  exitPromise = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = createInterface({ input: server.stdout });
  const first = await Promise.race([
    new Promise((resolve) => lines.once('line', resolve)),
    exitPromise.then((e) => `exited early: ${JSON.stringify(e)}`),
    new Promise((resolve) => setTimeout(() => resolve('no output in 60 s'), 60_000).unref()),
  ]);
  server.stdout.resume();
  const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(first);
  assert.ok(m, `server did not start: '${first}'\n${tail(serverLog)}`);
  base = `http://127.0.0.1:${m[1]}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});

after(async () => {
  writeFileSync(join(ARTIFACTS, 'first-contentful-paint.json'), JSON.stringify(fcp, null, 2) + '\n');
  if (Object.keys(fcp).length) console.log('first contentful paint (ms):', JSON.stringify(fcp));
  if (browser) await browser.close();
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  if (scratch && !process.env.PICTOR_KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true });
});

// A page with console errors and failed requests recorded.
async function open(width = 1280, opts = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: opts.colorScheme || 'light' });
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') page.errors.push(msg.text()); });
  page.on('pageerror', (err) => page.errors.push(String(err)));
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, name + '.png'), fullPage: true });
}

async function axe(page) {
  await page.evaluate(AXE_SOURCE);  // evaluated, not injected as a <script>: the pages' CSP allows no inline script
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

async function api(path, init = {}) {
  const res = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${adminKey}`, ...(init.headers || {}) } });
  return { status: res.status, body: await res.json().catch(() => null) };
}

test('the home page says the arena has no votes yet, and unknown pages are proper 404 pages', async () => {
  const page = await open();
  await page.goto(base + '/');
  assert.match(await page.textContent('main'), /No arena votes yet/);
  assert.match(await page.textContent('main'), /not rated yet/);
  await shot(page, 'home-empty');
  for (const path of ['/models/no-such-model', '/organizations/no-such-org', '/nothing-here']) {
    const res = await page.goto(base + path);
    assert.equal(res.status(), 404, path);
    assert.match(res.headers()['content-type'], /text\/html/, path);
    assert.match(await page.textContent('h1'), /No (model|organization|page)/, path);
  }
  await shot(page, 'not-found');
  await page.context().close();
});

test('playground: generate an image with a pasted key, with progress, JSON, usage and code', async () => {
  const page = await open();
  await page.goto(base + '/playground');
  await page.fill('#api-key', adminKey);
  await page.press('#api-key', 'Tab');  // change event: kept in session storage
  assert.equal(await page.evaluate(() => sessionStorage.getItem('pictor.apiKey')), adminKey);
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'the key is never in local storage');
  await page.waitForSelector('#key-admin:not([hidden])');
  await page.fill('#gen-prompt', 'two red circles above a blue square <script>alert(1)</script>');
  await page.selectOption('#gen-quality', 'low');
  await page.fill('#gen-seed', '7');
  const code = await page.textContent('#code-out');
  assert.match(code, /curl -s http:\/\/127\.0\.0\.1:\d+\/v1\/generations/);
  assert.match(code, /"seed":7/);
  await page.click('#gen-run');
  await page.waitForSelector('#result-images img', { timeout: 120_000 });
  await page.waitForFunction(() => [...document.querySelectorAll('#result-images img')].every((i) => i.complete && i.naturalWidth > 0));
  const json = JSON.parse(await page.textContent('#result-json'));
  assert.equal(json.status, 'completed');
  assert.equal(json.model, MODEL);
  assert.match(await page.textContent('#result-usage'), /Cost\$/);
  assert.match(await page.textContent('#gen-status'), /Done in/);
  await shot(page, 'playground');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('playground: an admin creates a key (shown once), it works, then revokes it', async () => {
  const page = await open();
  await page.goto(base + '/playground');
  await page.fill('#api-key', adminKey);
  await page.press('#api-key', 'Tab');
  await page.waitForSelector('#key-admin:not([hidden])');
  await page.fill('#key-name', 'browser-visitor');
  await page.click('#key-create button[type="submit"]');
  await page.waitForSelector('#key-new:not([hidden])');
  const key = (await page.textContent('#key-new-value')).trim();
  assert.match(key, /^pk-/);
  const row = page.locator('#key-table tbody tr', { hasText: 'browser-visitor' });
  await row.waitFor();
  assert.match(await row.textContent(), /active/);
  assert.ok(!(await page.textContent('#key-table')).includes(key), 'the list shows only the prefix');
  let res = await fetch(base + '/v1/models', { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200, 'the new key works');
  res = await fetch(base + '/v1/keys', { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(res.status, 403, 'a key without the admin scope cannot list keys');
  await shot(page, 'playground-keys');
  await row.getByRole('button', { name: /Revoke key browser-visitor/ }).click();
  await row.getByRole('button', { name: /Revoke key browser-visitor/ }).click();  // confirm
  await page.waitForFunction(() => /revoked/.test([...document.querySelectorAll('#key-table tbody tr')]
    .find((r) => r.textContent.includes('browser-visitor'))?.textContent || ''));
  res = await fetch(base + '/v1/models', { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(res.status, 403, 'the revoked key is refused');
  assert.equal((await res.json()).error.code, 'revoked_api_key');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('playground: paint a mask on an input image and edit it', async () => {
  const page = await open();
  await page.goto(base + '/playground');
  await page.fill('#api-key', adminKey);
  await page.press('#api-key', 'Tab');
  const input = join(scratch, 'input.png');
  writeFileSync(input, encodePng(64, 64, (x, y) => (x < 32 ? [220, 40, 40, 255] : [40, 40, 220, 255])));
  await page.setInputFiles('#gen-image', input);
  await page.waitForSelector('#mask-tools:not([hidden])');
  await page.locator('#mask-canvas').scrollIntoViewIfNeeded();
  const box = await page.locator('#mask-canvas').boundingBox();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.55, { steps: 8 });
  await page.mouse.up();
  await page.waitForSelector('#mask-canvas[data-painted="1"]', { timeout: 5000, state: 'attached' }).catch((e) => { throw new Error('the brush painted nothing: ' + page.errors.join(' | ') + ' ' + e.message); });
  await page.fill('#gen-prompt', 'make the left half green');
  const sent = page.waitForRequest((r) => r.url().endsWith('/v1/generations') && r.method() === 'POST');
  await page.click('#gen-run');
  const body = (await sent).postDataJSON();
  assert.deepEqual(page.errors, []);
  assert.ok(body.input.images, `the request has an input image: ${JSON.stringify(body).slice(0, 300)} (canvas at ${JSON.stringify(box)})`);
  assert.match(body.input.images[0], /^data:image\/png;base64,/);
  assert.match(body.input.mask, /^data:image\/png;base64,/);
  // The mask is the image's size, transparent where painted and opaque elsewhere.
  const alpha = await page.evaluate(async (url) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let clear = 0, solid = 0;
    for (let i = 3; i < d.length; i += 4) (d[i] === 0 ? clear++ : d[i] === 255 ? solid++ : 0);
    return { w: c.width, h: c.height, clear, solid };
  }, body.input.mask);
  assert.equal(alpha.w, 64);
  assert.equal(alpha.h, 64);
  assert.ok(alpha.clear > 20 && alpha.solid > 2000, JSON.stringify(alpha));
  await page.waitForSelector('#result-images img', { timeout: 120_000 });
  const json = JSON.parse(await page.textContent('#result-json'));
  assert.equal(json.status, 'completed');
  assert.equal(json.kind, 'edit');
  await shot(page, 'playground-mask');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// One battle in the browser: nothing names a model before the vote; the vote reveals them.
async function battle(page, { arena = 'text-to-image', prompt = '', rank = false, contestants = 2 } = {}) {
  const seen = [];  // every response the voter receives before voting
  const record = async (res) => {
    try { seen.push({ url: res.url(), body: (await res.body()).toString('latin1'), headers: JSON.stringify(res.headers()) }); } catch (e) { /* redirect */ }
  };
  page.on('response', record);
  await page.check(`input[name="arena"][value="${arena}"]`);
  await page.fill('#battle-prompt', prompt);
  await page.selectOption('#battle-n', String(contestants));
  await page.click('#battle-form button[type="submit"]');
  await page.waitForSelector('#slots button[data-winner]', { timeout: 120_000 });
  await page.waitForFunction(() => [...document.querySelectorAll('#slots img')].every((i) => i.complete && i.naturalWidth > 0));
  const dom = await page.content();
  const images = await page.$$eval('#slots img', (imgs) => imgs.map((i) => i.src));
  page.off('response', record);
  for (const name of ENTRIES) {
    const at = dom.indexOf(name);
    assert.ok(at < 0, `the DOM names ${name} before the vote: …${dom.slice(Math.max(0, at - 200), at + 60)}…`);
    for (const r of seen) {
      assert.ok(!r.url.includes(name), `${r.url} names ${name}`);
      assert.ok(!r.body.includes(name), `the response of ${r.url} names ${name}`);
      assert.ok(!r.headers.includes(name), `the headers of ${r.url} name ${name}`);
    }
  }
  for (const src of images) assert.match(src, /\/v1\/arena\/battles\/battle_[0-9a-f]+\/images\/[a-d]$/);
  if (rank) {
    const slots = await page.$$eval('#slots select[data-rank]', (s) => s.map((x) => x.dataset.rank));
    for (let i = 0; i < slots.length; i++) await page.selectOption(`select[data-rank="${slots[i]}"]`, String(i + 1));
    await page.click('#rank-submit');
  } else {
    await page.click('#slots button[data-winner="a"]');
  }
  await page.waitForSelector('#reveal:not([hidden])');
  const revealed = await page.textContent('#reveal-list');
  assert.ok(ENTRIES.some((n) => revealed.includes(n)), `the reveal names the models: ${revealed}`);
  assert.match(revealed, /score -?\d+\.\d+ → -?\d+\.\d+/);
  assert.match(await page.textContent('#reveal-note'), /Your vote counted/);
}

test('arena: vote without seeing names, then the leaderboard and the model page change', async () => {
  const page = await open();
  const before = await page.goto(base + '/leaderboard');
  assert.equal(before.status(), 200);
  assert.match(await page.textContent('main'), /No model has 3 counted votes/);
  await page.goto(base + '/models/' + MODEL);
  assert.match(await page.textContent('#rankings'), /on no leaderboard yet/);
  assert.match(await page.textContent('#examples'), /No arena battle won/);

  await page.goto(base + '/arena');
  await battle(page, { prompt: 'a yellow <b>triangle</b> & a "green" square' });
  assert.equal(await page.textContent('#battle-prompt-text'), 'a yellow <b>triangle</b> & a "green" square', 'the prompt is text, not HTML');
  await shot(page, 'arena-revealed');
  for (let i = 0; i < 3; i++) {
    await page.click('#next-battle');
    await page.waitForSelector('#reveal[hidden]', { state: 'attached' });
    await battle(page);
  }
  await battle(page, { arena: 'image-edit' });
  await shot(page, 'arena-image-edit');
  assert.deepEqual(page.errors, []);

  await page.goto(base + '/leaderboard');
  const rows = page.locator('table.board tbody tr');
  assert.equal(await rows.count(), 2, 'both entries are ranked after 5 votes');
  const board = await page.textContent('table.board');
  for (const name of ENTRIES) assert.ok(board.includes(name), `${name} on the leaderboard`);
  // Sort by votes, descending then ascending: the header button changes aria-sort.
  const votesHeader = page.locator('table.board thead th', { hasText: 'Votes' });
  await votesHeader.locator('button').click();
  assert.equal(await votesHeader.getAttribute('aria-sort'), 'ascending');
  await votesHeader.locator('button').click();
  assert.equal(await votesHeader.getAttribute('aria-sort'), 'descending');
  await shot(page, 'leaderboard');

  await page.goto(base + '/models/' + MODEL);
  assert.match(await page.textContent('#rankings'), /#[12] of 2/);
  assert.ok(await page.locator('#tracker svg.chart').count() >= 1, 'the quality tracker draws a chart');
  assert.ok(await page.locator('#similar li a').count() >= 1, 'similar models name a neighbour');
  await page.waitForFunction(() => [...document.querySelectorAll('#examples img')].every((i) => i.complete));
  assert.ok(await page.locator('#examples img').count() >= 1, 'examples show arena wins');
  assert.equal(await page.locator('#examples img').evaluateAll((imgs) => imgs.filter((i) => i.naturalWidth === 0).length), 0);
  await page.context().close();
});

test('model page: the API section switches language and mode, and Run shows the JSON and the image', async () => {
  const page = await open();
  await page.goto(base + '/models/' + MODEL);
  await page.evaluate((k) => sessionStorage.setItem('pictor.apiKey', k), adminKey);
  await page.reload();
  const visible = async () => (await page.locator('.code:not([hidden]) code').textContent());
  assert.match(await visible(), /"wait": "auto"/);
  assert.match(await visible(), /output"\]\["media"\]\[0\]\["url"\]/);
  assert.match(await visible(), new RegExp(base.replace(/[.:/]/g, '\\$&') + '/v1'));
  await page.click('[role="tab"][data-lang="openai-js"]');
  assert.match(await visible(), /new OpenAI\(\{ baseURL: "http:\/\/127\.0\.0\.1:\d+\/v1"/);
  // Arrow keys move between tabs.
  await page.focus('[role="tab"][data-lang="openai-js"]');
  await page.keyboard.press('ArrowRight');
  assert.match(await visible(), /from openai import OpenAI/);
  await page.check('input[name="api-mode"][value="edit"]');
  assert.match(await visible(), /client\.images\.edit/);
  await page.check('input[name="api-mode"][value="generate"]');
  await page.click('form[data-run] button[type="submit"]');
  await page.waitForSelector('.run-out:not([hidden]) img.result', { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelector('.run-out img.result').naturalWidth > 0);
  assert.equal(JSON.parse(await page.textContent('.run-out code')).status, 'completed');
  await shot(page, 'model-run');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('every page at 360 px and 1280 px: no console error, no serious axe violation, keyboard, dark mode', async () => {
  const org = (await api('/v1/models/' + MODEL)).body.organization || (await api('/v1/models/' + MODEL)).body.owned_by;
  const orgSlug = org.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const pages = { home: '/', model: '/models/' + MODEL, organizations: '/organizations', organization: '/organizations/' + orgSlug,
                  arena: '/arena', leaderboard: '/leaderboard', playground: '/playground' };
  const problems = [];
  for (const width of [360, 1280]) {
    for (const [name, path] of Object.entries(pages)) {
      const page = await open(width);
      const res = await page.goto(base + path, { waitUntil: 'load' });
      assert.equal(res.status(), 200, path);
      const paint = await page.evaluate(() => new Promise((resolve) => {
        new PerformanceObserver((list) => {
          const e = list.getEntriesByName('first-contentful-paint')[0];
          if (e) resolve(e.startTime);
        }).observe({ type: 'paint', buffered: true });
        setTimeout(() => resolve(null), 3000);
      }));
      fcp[`${name}@${width}`] = paint === null ? null : Math.round(paint);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) problems.push(`${path} at ${width}px is ${overflow}px wider than the screen`);
      for (const v of await axe(page)) problems.push(`${path} at ${width}px: ${v}`);
      if (page.errors.length) problems.push(`${path} at ${width}px: console: ${page.errors.join(' | ')}`);
      await shot(page, `${name}-${width}`);
      await page.context().close();
    }
  }
  assert.deepEqual(problems, []);

  // Keyboard: the first Tab reaches the skip link, then the navigation.
  const page = await open(1280);
  await page.goto(base + '/');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.closest('nav')?.getAttribute('aria-label')), 'Main');
  await page.context().close();

  // Dark mode follows prefers-color-scheme, and passes axe there too (contrast).
  const dark = await open(1280, { colorScheme: 'dark' });
  await dark.goto(base + '/models/' + MODEL);
  const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(bg, 'rgb(247, 247, 249)', 'dark background');
  assert.deepEqual(await axe(dark), []);
  await shot(dark, 'model-dark');
  await dark.context().close();
});
