#!/usr/bin/env node
// Validate a binary glTF (.glb) with the Khronos glTF validator.
//
//   node tools/gltf_validator/validate.js FILE.glb [--json REPORT.json]
//
// Prints a one-line summary (errors/warnings/infos/hints), then each issue as
// "SEVERITY CODE POINTER: message", and with --json writes the validator's full report.
// Exit status: 0 no errors, 1 the file has validation errors, 2 bad usage/unreadable file.
'use strict';

const fs = require('fs');
const path = require('path');
const validator = require('gltf-validator');

const SEVERITY = ['ERROR', 'WARNING', 'INFO', 'HINT'];

function usage(msg) {
  process.stderr.write(`validate.js: error: ${msg}\nusage: node validate.js FILE.glb [--json REPORT.json]\n`);
  process.exit(2);
}

async function main(argv) {
  const args = argv.slice(2);
  let jsonOut = null;
  const jsonAt = args.indexOf('--json');
  if (jsonAt >= 0) {
    jsonOut = args[jsonAt + 1];
    if (!jsonOut) usage('--json needs a path');
    args.splice(jsonAt, 2);
  }
  if (args.length !== 1) usage('expected exactly one .glb file');
  const file = args[0];
  let bytes;
  try {
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    usage(`cannot read ${file}: ${e.message}`);
  }
  const report = await validator.validateBytes(bytes, {
    uri: path.basename(file),
    maxIssues: 0,              // 0 = report every issue
    writeTimestamp: false,
    // a .glb is self-contained: any external resource reference is itself a problem
    externalResourceFunction: (uri) => Promise.reject(new Error(`external resource ${uri}`)),
  });
  const s = report.issues;
  console.log(`${path.basename(file)}: ${s.numErrors} errors, ${s.numWarnings} warnings, ` +
              `${s.numInfos} infos, ${s.numHints} hints (validator ${report.validatorVersion})`);
  for (const m of s.messages) {
    console.log(`${SEVERITY[m.severity] || m.severity} ${m.code} ${m.pointer || m.offset || ''}: ${m.message}`);
  }
  if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(report, null, 2));
  return s.numErrors > 0 ? 1 : 0;
}

main(process.argv).then((code) => process.exit(code), (err) => {
  process.stderr.write(`validate.js: error: ${err && err.message ? err.message : err}\n`);
  process.exit(2);
});
