// The official `openai` npm client, unmodified except for baseURL and apiKey, against the real
// `pictor serve` (docs/testing-openai-client.md). Run by tests/node/run.sh (CTest:
// openai_node_compat); the pictor binary comes from $PICTOR_BINARY.
//
// Like tests/server/server_harness.h: train a tiny pictor-mini once, make an API key with the
// real `pictor keys create`, start `pictor serve --port 0` and read the bound port from its first
// stdout line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, openSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

// Node 18 (Debian 12's nodejs) has no global File; the openai package asks for this shim there.
if (typeof globalThis.File === 'undefined') globalThis.File = (await import('node:buffer')).File;
// Node 18 has WebCrypto only as node:crypto's webcrypto; the client's webhooks.unwrap needs the global.
if (typeof globalThis.crypto === 'undefined') globalThis.crypto = (await import('node:crypto')).webcrypto;

const { default: OpenAI, toFile, InvalidWebhookSignatureError } = await import('openai');

const PICTOR = process.env.PICTOR_BINARY;
const MODEL = 'pictor-mini';
// pictor extensions (ignored by OpenAI's types, passed through by the client) that keep the tiny
// model fast; the requests are otherwise plain OpenAI ones.
const FAST = { steps: 1, seed: 7 };

let scratch, server, serverLog, exitPromise, port, key, client;

function pictor(args, env = {}) {
  return execFileSync(PICTOR, args, {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', openSync(join(scratch, 'cli.log'), 'a')],
  });
}

function tail(file) {
  return existsSync(file) ? readFileSync(file, 'utf8').slice(-2000) : '';
}

before(async () => {
  assert.ok(PICTOR && existsSync(PICTOR), `PICTOR_BINARY must name the pictor binary (got '${PICTOR}')`);
  scratch = mkdtempSync(join(tmpdir(), 'pictor-node-compat-'));
  const models = join(scratch, 'models');
  pictor(['train', '--preset', 'tiny', '--steps', '3', '--batch', '4', '--eval-every', '0', '--quiet',
          '--edit-fraction', '0.5', '--out', join(models, MODEL)]);
  const data = join(scratch, 'data');
  key = pictor(['keys', 'create', '--name', 'node-compat', '--data-dir', data]).trim();
  assert.match(key, /^\S+$/, 'pictor keys create prints the key alone');

  serverLog = join(scratch, 'server.log');
  server = spawn(PICTOR, ['serve', '--port', '0', '--data-dir', data, '--threads', '2'], {
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
  server.stdout.resume();  // keep draining whatever else it prints
  const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(first);
  assert.ok(m, `server did not start: '${first}'\n${tail(serverLog)}`);
  port = Number(m[1]);
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: key, maxRetries: 0, timeout: 120_000 });
});

after(async () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  if (scratch && !process.env.PICTOR_KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true });
});

// cpp-httplib 0.11.4 (Debian 12) answers a bare 400 "HTTP 400" to multipart bodies whose closing
// boundary has no CRLF after it, which is what Node 18's fetch (undici 5.x) sends; say so.
async function multipart(promise) {
  try {
    return await promise;
  } catch (e) {
    if (e instanceof OpenAI.BadRequestError && e.message.includes('HTTP 400') && e.param == null)
      e.message += ` (the server refused the multipart body before routing it; node ${process.version}'s fetch ends it` +
        ' without a CRLF after the closing boundary, which cpp-httplib 0.11 rejects: see docs/testing-openai-client.md)';
    throw e;
  }
}

// ---- a tiny PNG codec (enough to make inputs and check outputs) ----

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
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// An 8-bit RGBA PNG; pixel(x, y) returns [r, g, b, a].
function encodePng(width, height, pixel) {
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 4);
    raw[row] = 0;  // filter: none
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), row + 1 + x * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;  // bit depth
  ihdr[9] = 6;  // colour type RGBA
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// Checks the signature and IHDR of base64 PNG data; returns {width, height}.
function pngInfo(b64) {
  assert.equal(typeof b64, 'string', 'b64_json is a string');
  const bytes = Buffer.from(b64, 'base64');
  assert.ok(bytes.length > 33, `PNG too short (${bytes.length} bytes)`);
  assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE, 'PNG signature');
  assert.equal(bytes.toString('ascii', 12, 16), 'IHDR', 'first chunk is IHDR');
  const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
  assert.ok(width > 0 && height > 0, `IHDR size ${width}x${height}`);
  return { width, height };
}

// ---- the client against the server ----

test('images.generate returns b64_json PNGs of the requested size', async () => {
  const res = await client.images.generate({ model: MODEL, prompt: 'two red circles', n: 2, size: '64x64', quality: 'low', ...FAST });
  assert.equal(res.data.length, 2);
  for (const d of res.data) assert.deepEqual(pngInfo(d.b64_json), { width: 64, height: 64 });
  assert.ok(res.created > 1_700_000_000);
  assert.equal(res.output_format, 'png');
  assert.equal(res.quality, 'low');
  assert.ok(res.usage.total_tokens > 0);
});

test('images.generate with stream and partial_images yields a completed event', async (t) => {
  const stream = await client.images.generate({
    model: MODEL, prompt: 'a blue square', size: '48x32', stream: true, partial_images: 1, ...FAST, steps: 2,
  });
  const events = [];
  for await (const ev of stream) events.push(ev);
  const types = events.map((e) => e.type);
  // The API allows fewer partial images than requested (and pictor may make none).
  assert.ok(types.every((t) => t === 'image_generation.partial_image' || t === 'image_generation.completed'), types.join());
  const completed = events.filter((e) => e.type === 'image_generation.completed');
  assert.equal(completed.length, 1, `one completed event (got ${types.join()})`);
  assert.equal(types.at(-1), 'image_generation.completed');
  assert.deepEqual(pngInfo(completed[0].b64_json), { width: 48, height: 32 });
  assert.equal(completed[0].output_format, 'png');
  assert.ok(completed[0].created_at > 1_700_000_000);
  assert.ok(completed[0].usage.total_tokens > 0);
  // Partial images, if any: at most as many as asked, numbered from 0, PNGs of the output size.
  const partials = events.filter((e) => e.type === 'image_generation.partial_image');
  assert.ok(partials.length <= 1, `${partials.length} partial images for partial_images: 1`);
  partials.forEach((p, i) => {
    assert.equal(p.partial_image_index, i);
    assert.deepEqual(pngInfo(p.b64_json), { width: 48, height: 32 });
  });
  t.diagnostic(`${partials.length} partial image event(s)`);
});

test('images.edit uploads an image and a mask with toFile', async () => {
  const image = encodePng(40, 24, (x, y) => [x * 6, y * 10, 128, 255]);
  // Fully transparent mask pixels mark the area to change: the left half.
  const mask = encodePng(40, 24, (x) => [0, 0, 0, x < 20 ? 0 : 255]);
  const res = await multipart(client.images.edit({
    model: MODEL,
    image: await toFile(image, 'in.png', { type: 'image/png' }),
    mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
    prompt: 'a yellow star',
    ...FAST,
  }));
  assert.equal(res.data.length, 1);
  assert.deepEqual(pngInfo(res.data[0].b64_json), { width: 40, height: 24 });
});

test('images.edit with several images (image[] parts) and stream', async () => {
  const a = encodePng(32, 32, (x, y) => [255, x * 8, y * 8, 255]);
  const b = encodePng(32, 32, (x, y) => [x * 8, 255, y * 8, 255]);
  const stream = await multipart(client.images.edit({
    model: MODEL,
    image: [await toFile(a, 'a.png', { type: 'image/png' }), await toFile(b, 'b.png', { type: 'image/png' })],
    prompt: 'blend them',
    stream: true,
    partial_images: 2,
    ...FAST,
  }));
  const events = [];
  for await (const ev of stream) events.push(ev);
  const completed = events.filter((e) => e.type === 'image_edit.completed');
  assert.equal(completed.length, 1, `one completed event (got ${events.map((e) => e.type).join()})`);
  assert.deepEqual(pngInfo(completed[0].b64_json), { width: 32, height: 32 });
});

test('models.list lists the served model', async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    assert.equal(m.object, 'model');
    ids.push(m.id);
  }
  assert.deepEqual(ids, [MODEL]);
  const one = await client.models.retrieve(MODEL);
  assert.equal(one.id, MODEL);
});

test('bad requests map to BadRequestError with the param', async () => {
  await assert.rejects(client.images.generate({ model: MODEL, prompt: 'x', size: 'big' }), (e) => {
    assert.ok(e instanceof OpenAI.BadRequestError, `${e?.constructor?.name}: ${e}`);
    assert.equal(e.status, 400);
    assert.equal(e.param, 'size');
    assert.equal(e.type, 'invalid_request_error');
    assert.ok(e.message.includes('size'), e.message);
    assert.ok(e.requestID, 'x-request-id reaches the error');
    return true;
  });
  await assert.rejects(client.images.generate({ model: MODEL, prompt: 'x', n: 11 }), (e) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.param, 'n');
    return true;
  });
  // Multipart edit with a mask that does not match the image.
  const image = encodePng(16, 16, () => [1, 2, 3, 255]);
  const mask = encodePng(8, 8, () => [0, 0, 0, 0]);
  await assert.rejects(
    multipart(client.images.edit({ model: MODEL, image: await toFile(image, 'i.png'), mask: await toFile(mask, 'm.png'), prompt: 'x' })),
    (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${e?.constructor?.name}: ${e}`);
      assert.equal(e.param, 'mask', e.message);
      return true;
    });
  await assert.rejects(client.images.generate({ model: 'dall-e-9', prompt: 'x' }), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError, `${e?.constructor?.name}: ${e}`);
    assert.equal(e.status, 404);
    assert.equal(e.param, 'model');
    assert.equal(e.code, 'model_not_found');
    return true;
  });
});

test('a wrong key maps to AuthenticationError', async () => {
  const wrong = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'pk-wrong', maxRetries: 0 });
  await assert.rejects(wrong.models.list(), (e) => {
    assert.ok(e instanceof OpenAI.AuthenticationError, `${e?.constructor?.name}: ${e}`);
    assert.equal(e.status, 401);
    assert.equal(e.code, 'invalid_api_key');
    return true;
  });
  await assert.rejects(wrong.images.generate({ model: MODEL, prompt: 'x' }), OpenAI.AuthenticationError);
});

test('through a gateway whose first provider fails, the client never notices the failover', async (t) => {
  // The server above is the upstream ("steady", pictor kind, with its API key from the
  // environment); "flaky" is cheaper and answers every request 500 with a Retry-After.
  const { createServer } = await import('node:http');
  const { writeFileSync } = await import('node:fs');
  let flakyHits = 0;
  const flaky = createServer((req, res) => {
    flakyHits += 1;
    req.resume();
    res.writeHead(500, { 'Content-Type': 'application/json', 'Retry-After': '0' });
    res.end('{"error":{"message":"injected","type":"server_error","param":null,"code":null}}');
  });
  await new Promise((resolve) => flaky.listen(0, '127.0.0.1', resolve));
  const providers = join(scratch, 'providers.json');
  writeFileSync(providers, JSON.stringify({
    providers: [
      { name: 'flaky', kind: 'openai-compatible', base_url: `http://127.0.0.1:${flaky.address().port}/v1`,
        models: { 'gpt-image-1-mini': MODEL }, prices: { low: 0.001, medium: 0.001, high: 0.001 }, priority: 1 },
      { name: 'steady', kind: 'pictor', base_url: `http://127.0.0.1:${port}/v1`, api_key_env: 'PICTOR_NODE_UPSTREAM_KEY',
        models: { 'gpt-image-1-mini': MODEL }, prices: { low: 0.002, medium: 0.002, high: 0.002 }, priority: 2 },
    ],
    retry: { max_attempts: 2, base_delay_ms: 10, max_delay_ms: 50 },
    circuit_breaker: { failure_threshold: 1000, cooldown_s: 1 },
  }));
  const gwLog = join(scratch, 'gateway.log');
  const gw = spawn(PICTOR, ['serve', '--port', '0', '--no-auth', '--data-dir', join(scratch, 'gw-data'), '--threads', '1',
                            '--providers', providers], {
    env: { ...process.env, PICTOR_MODELS: join(scratch, 'models'), PICTOR_NODE_UPSTREAM_KEY: key },
    stdio: ['ignore', 'pipe', openSync(gwLog, 'a')],
  });
  try {
    const first = await new Promise((resolve) => createInterface({ input: gw.stdout }).once('line', resolve));
    gw.stdout.resume();
    const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(first);
    assert.ok(m, `gateway did not start: '${first}'\n${tail(gwLog)}`);
    const gwPort = Number(m[1]);
    const viaGateway = new OpenAI({ baseURL: `http://127.0.0.1:${gwPort}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 120_000 });
    const res = await viaGateway.images.generate({ model: 'gpt-image-1-mini', prompt: 'two red circles', size: '64x64', quality: 'low', ...FAST });
    assert.equal(res.data.length, 1);
    assert.deepEqual(pngInfo(res.data[0].b64_json), { width: 64, height: 64 });
    assert.equal(res.usage.cost_usd, 0.002, 'the provider that served it sets the cost');
    const job = await (await fetch(`http://127.0.0.1:${gwPort}/v1/generations/${res.id}`)).json();
    assert.equal(job.provider, 'steady');
    assert.deepEqual(job.routing.attempts.map((a) => [a.provider, a.outcome]), [['flaky', 'error'], ['flaky', 'error'], ['steady', 'ok']]);
    const stream = await viaGateway.images.generate({
      model: 'gpt-image-1-mini', prompt: 'a blue square', size: '48x32', stream: true, partial_images: 1, ...FAST, steps: 2,
    });
    const types = [];
    for await (const ev of stream) types.push(ev.type);
    assert.equal(types.at(-1), 'image_generation.completed', types.join());
    const image = encodePng(32, 32, (x, y) => [x * 8, y * 8, 128, 255]);
    const edit = await multipart(viaGateway.images.edit({
      model: 'gpt-image-1-mini', image: await toFile(image, 'in.png', { type: 'image/png' }), prompt: 'a yellow star', ...FAST,
    }));
    assert.deepEqual(pngInfo(edit.data[0].b64_json), { width: 32, height: 32 });
    assert.ok(flakyHits >= 6, `flaky saw ${flakyHits} requests`);
    const ids = [];
    for await (const model of viaGateway.models.list()) ids.push(model.id);
    assert.deepEqual(ids, [MODEL, 'gpt-image-1-mini']);
    assert.ok(!readFileSync(gwLog, 'utf8').includes(key), 'the upstream key stays out of the log');
    t.diagnostic(`flaky answered 500 to ${flakyHits} requests; the client saw none of them`);
  } finally {
    gw.kill('SIGKILL');
    flaky.close();
  }
});

test("pictor's webhooks verify with the client's webhooks.unwrap (Standard Webhooks signatures)", async (t) => {
  const { createServer } = await import('node:http');
  const secret = 'whsec_' + Buffer.from('pictor-node-webhook-test-secret!').toString('base64');
  let resolveHit;
  const hit = new Promise((resolve) => { resolveHit = resolve; });
  const receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => { res.writeHead(204); res.end(); resolveHit({ body, headers: req.headers }); });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hookLog = join(scratch, 'webhook-server.log');
  const srv = spawn(PICTOR, ['serve', '--port', '0', '--no-auth', '--data-dir', join(scratch, 'hook-data'), '--threads', '1',
                             '--webhook-allow', '127.0.0.1'], {
    env: { ...process.env, PICTOR_MODELS: join(scratch, 'models'), PICTOR_WEBHOOK_SECRET: secret },
    stdio: ['ignore', 'pipe', openSync(hookLog, 'a')],
  });
  try {
    const first = await new Promise((resolve) => createInterface({ input: srv.stdout }).once('line', resolve));
    srv.stdout.resume();
    const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(first);
    assert.ok(m, `server did not start: '${first}'\n${tail(hookLog)}`);
    const job = await (await fetch(`http://127.0.0.1:${m[1]}/v1/generations`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: { prompt: 'a red circle', quality: 'low', ...FAST },
                             webhook: { url: `http://127.0.0.1:${receiver.address().port}/hook` } }),
    })).json();
    const { body, headers } = await Promise.race([
      hit, new Promise((_, reject) => setTimeout(() => reject(new Error('no webhook in 60 s')), 60_000).unref()),
    ]);
    const event = await client.webhooks.unwrap(body, headers, secret);
    assert.equal(event.type, 'generation.completed');
    assert.equal(event.data.id, job.id);
    await assert.rejects(client.webhooks.unwrap(body.replace('completed', 'failed'), headers, secret),
                         InvalidWebhookSignatureError, 'a changed body does not verify');
    t.diagnostic(`webhook ${headers['webhook-id']} verified by openai ${OpenAI.VERSION ?? ''}`);
  } finally {
    srv.kill('SIGKILL');
    receiver.close();
  }
});

test('the server exits 0 on SIGTERM', async (t) => {
  // cpp-httplib 0.11 only notices the stop between requests, so an idle keep-alive connection
  // (the client keeps them, like every OpenAI SDK) holds the exit up to pictor's keep-alive
  // timeout (30 s); see docs/testing-openai-client.md.
  const t0 = Date.now();
  server.kill('SIGTERM');
  const exit = await Promise.race([
    exitPromise,
    new Promise((resolve) => setTimeout(() => resolve({ timeout: true }), 60_000).unref()),
  ]);
  t.diagnostic(`pictor serve exited ${Date.now() - t0} ms after SIGTERM`);
  assert.deepEqual(exit, { code: 0, signal: null }, tail(serverLog));
});
