#!/usr/bin/env node
// Round-trips BPMN files through the bpmn.io model layer (bpmn-moddle), as bpmn-js and Camunda Modeler do
// when they open and save a diagram.
//
//   node scripts/moddle_roundtrip.mjs --out DIR FILE.bpmn...
//
// For each file: import with fromXML (lax, as bpmn-js does), collect every warning (unknown elements and
// attributes, unparsable content, unresolved references), write the model back with toXML({format: true})
// into DIR, and print one JSON line:
//
//   {"file": ..., "output": ..., "ok": true|false, "warnings": [{message, element?, property?, value?}],
//    "extensions": {"spiffworkflow:properties": 3, ...}, "error"?: ...}
//
// `extensions` counts the extension elements of namespaces bpmn-moddle does not know (SpiffArena's
// spiffworkflow:*), which it keeps as generic elements; the count is taken on the imported model and again
// on the written file re-imported, and a difference is reported as a warning (an extension lost on save).
// Exit status: 0 when every file is ok, 1 when one is not, 2 on bad usage.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { BpmnModdle } from 'bpmn-moddle';

const USAGE = 'usage: node scripts/moddle_roundtrip.mjs --out DIR FILE.bpmn...';

function describeElement(element) {
  if (!element || typeof element !== 'object') {
    return undefined;
  }
  const type = element.$type || '?';
  return element.id ? `${type}#${element.id}` : type;
}

function describeWarning(warning) {
  const described = { message: String(warning.message || warning) };
  const element = describeElement(warning.element);
  if (element) {
    described.element = element;
  }
  if (warning.property !== undefined) {
    described.property = String(warning.property);
  }
  if (warning.value !== undefined && typeof warning.value !== 'object') {
    described.value = String(warning.value);
  }
  return described;
}

// Counts generic elements (types outside bpmn-moddle's packages) anywhere in the model tree.
function countExtensions(root) {
  const counts = {};
  const seen = new Set();
  const visit = (value) => {
    if (!value || typeof value !== 'object' || seen.has(value)) {
      return;
    }
    seen.add(value);
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!value.$type) {
      return;
    }
    if (value.$descriptor && value.$descriptor.isGeneric) {
      counts[value.$type] = (counts[value.$type] || 0) + 1;
    }
    for (const key of Object.keys(value)) {
      // $parent and references point back up or across the tree; containment is enough.
      if (key === '$parent' || key === '$descriptor' || key === '$model' || key === '$attrs') {
        continue;
      }
      const descriptor = value.$descriptor && value.$descriptor.propertiesByName &&
        value.$descriptor.propertiesByName[key];
      if (descriptor && descriptor.isReference) {
        continue;
      }
      visit(value[key]);
    }
  };
  visit(root);
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

function outputName(file, used) {
  let name = basename(file);
  for (let index = 2; used.has(name); index++) {
    name = `${index}-${basename(file)}`;
  }
  used.add(name);
  return name;
}

async function roundTrip(file, outDir, used) {
  const report = { file, output: null, ok: false, warnings: [], extensions: {} };
  let xml;
  try {
    xml = readFileSync(file, 'utf8');
  } catch (error) {
    report.error = `cannot read: ${error.message}`;
    return report;
  }
  const moddle = new BpmnModdle();
  let imported;
  try {
    imported = await moddle.fromXML(xml, 'bpmn:Definitions');
  } catch (error) {
    report.error = `import failed: ${error.message}`;
    report.warnings = (error.warnings || []).map(describeWarning);
    return report;
  }
  report.warnings = imported.warnings.map(describeWarning);
  report.extensions = countExtensions(imported.rootElement);

  let written;
  try {
    written = (await moddle.toXML(imported.rootElement, { format: true })).xml;
  } catch (error) {
    report.error = `export failed: ${error.message}`;
    return report;
  }
  const output = join(outDir, outputName(file, used));
  writeFileSync(output, written, 'utf8');
  report.output = output;

  // The written file must read back without warnings and with every extension element still there.
  try {
    const again = await new BpmnModdle().fromXML(written, 'bpmn:Definitions');
    for (const warning of again.warnings) {
      report.warnings.push({ ...describeWarning(warning), message: `written file: ${warning.message}` });
    }
    const after = countExtensions(again.rootElement);
    const types = new Set([...Object.keys(report.extensions), ...Object.keys(after)]);
    for (const type of [...types].sort()) {
      if ((report.extensions[type] || 0) !== (after[type] || 0)) {
        report.warnings.push({
          message: `extension element <${type}>: ${report.extensions[type] || 0} imported, ` +
            `${after[type] || 0} in the written file`,
        });
      }
    }
  } catch (error) {
    report.error = `written file does not import: ${error.message}`;
    return report;
  }
  report.ok = report.warnings.length === 0;
  return report;
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({
      options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.out || positionals.length === 0) {
    console.error(USAGE);
    return 2;
  }
  const outDir = resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  const used = new Set();
  let allOk = true;
  for (const file of positionals) {
    const report = await roundTrip(file, outDir, used);
    allOk = allOk && report.ok;
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
  return allOk ? 0 : 1;
}

process.exitCode = await main();
