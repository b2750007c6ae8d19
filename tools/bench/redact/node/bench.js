#!/usr/bin/env node
// Throughput and spans of two npm redaction packages on the casevault
// redaction corpus (tools/bench/redact/gen_corpus.py output), for the side by
// side comparison printed by tools/bench/redact/bench.py.
//
//   node bench.js --corpus speed.jsonl --out node-spans.jsonl [--max-mb 2]
//                 [--libs redact-pii,openredaction]
//
// Each package gets the same documents, in corpus order, up to --max-mb of
// UTF-8 text; only the calls that redact are timed. Spans are written as
// UTF-8 byte offsets so the Python scorer can compare them with the gold:
//  - @openredaction/openredaction: detect() returns positions;
//  - redact-pii: redact() returns text only, so each replaced region is
//    found by aligning the output (replacements made a sentinel character)
//    with the input.
'use strict';
const fs = require('fs');
const { SyncRedactor } = require('redact-pii');
const { OpenRedaction } = require('@openredaction/openredaction');

function args() {
  const a = { maxMb: 2, libs: ['redact-pii', 'openredaction'] };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '--corpus') a.corpus = v[++i];
    else if (v[i] === '--out') a.out = v[++i];
    else if (v[i] === '--max-mb') a.maxMb = parseFloat(v[++i]);
    else if (v[i] === '--libs') a.libs = v[++i].split(',');
  }
  if (!a.corpus || !a.out) {
    console.error('usage: node bench.js --corpus FILE --out FILE [--max-mb N] [--libs redact-pii,openredaction]');
    process.exit(2);
  }
  return a;
}

// byte offset of every UTF-16 index of s
function byteMap(s) {
  const m = new Int32Array(s.length + 1);
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    m[i] = b;
    const c = s.charCodeAt(i);
    if (c < 0x80) b += 1;
    else if (c < 0x800) b += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { b += 4; m[++i] = b; }
    else if (c >= 0xdc00 && c <= 0xdfff) b += 0;
    else b += 3;
  }
  m[s.length] = b;
  return m;
}

const SENT = '\u0001';

// Regions of `orig` replaced in `out` (where the sentinel stands).
function alignRegions(orig, out) {
  const pieces = out.split(SENT);
  const regions = [];
  let pos = 0;
  if (!orig.startsWith(pieces[0])) return regions;
  pos = pieces[0].length;
  for (let k = 1; k < pieces.length; k++) {
    const piece = pieces[k];
    let next;
    if (k === pieces.length - 1) {
      next = piece.length ? orig.length - piece.length : orig.length;
      if (next < pos || !orig.endsWith(piece)) next = orig.indexOf(piece, pos + 1);
    } else {
      next = piece.length ? orig.indexOf(piece, pos + 1) : pos + 1;
    }
    if (next < 0) break;
    if (next > pos) regions.push([pos, next]);
    pos = next + piece.length;
  }
  return regions;
}

function main() {
  const a = args();
  const lines = fs.readFileSync(a.corpus, 'utf8').split('\n').filter((l) => l);
  const docs = [];
  let total = 0;
  const limit = a.maxMb * 1e6;
  for (let ci = 0; ci < lines.length && total < limit; ci++) {
    const c = JSON.parse(lines[ci]);
    for (let di = 0; di < c.docs.length && total < limit; di++) {
      docs.push({ ci, di, text: c.docs[di].text });
      total += Buffer.byteLength(c.docs[di].text);
    }
  }
  const out = fs.openSync(a.out, 'w');
  const libs = [];

  // redact-pii (3.x), every built-in redactor, one sentinel replacement
  if (a.libs.includes('redact-pii')) {
    const r = new SyncRedactor({ globalReplaceWith: SENT });
    const results = [];
    const t0 = process.hrtime.bigint();
    for (const d of docs) results.push(r.redact(d.text));
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    docs.forEach((d, k) => {
      const m = byteMap(d.text);
      const spans = alignRegions(d.text, results[k]).map(([s, e]) => [m[s], m[e], 0, 0]);
      fs.writeSync(out, JSON.stringify({ lib: 'redact-pii', case: d.ci, doc: d.di, spans }) + '\n');
    });
    libs.push({ name: 'redact-pii', version: require('redact-pii/package.json').version, bytes: total, seconds: sec,
      mb_per_s: total / 1e6 / sec });
  }

  // @openredaction/openredaction, default options
  if (a.libs.includes('openredaction')) {
    const o = new OpenRedaction();
    const results = [];
    const t0 = process.hrtime.bigint();
    for (const d of docs) results.push(o.detect(d.text));
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    docs.forEach((d, k) => {
      const m = byteMap(d.text);
      const spans = (results[k].detections || []).map((x) => [m[x.position[0]], m[Math.min(x.position[1], d.text.length)], 0, 0]);
      fs.writeSync(out, JSON.stringify({ lib: 'openredaction', case: d.ci, doc: d.di, spans }) + '\n');
    });
    libs.push({ name: 'openredaction', version: JSON.parse(fs.readFileSync(require.resolve('@openredaction/openredaction').replace(/dist[\/\\].*$/, 'package.json'), 'utf8')).version,
      bytes: total, seconds: sec, mb_per_s: total / 1e6 / sec });
  }
  fs.closeSync(out);
  console.log(JSON.stringify({ docs: docs.length, bytes: total, libs }));
}

main();
