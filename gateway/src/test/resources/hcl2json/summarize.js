// Parses HCL files with @cdktf/hcl2json (HashiCorp's own HCL parser compiled to WebAssembly) and prints one JSON
// object to stdout: for each file given, "json" (the file as hcl2json gives it: expressions stay "${...}" text) and,
// for each vault_kv_secret_v2 resource, "dataJson": what its data_json expression writes, read from the expression's
// syntax tree:
//   objectKeys  the keys of every object literal in it ({ "name" = ... })
//   spreads     references passed whole to jsonencode()/merge() (their keys come from variables' values)
//   references  every reference (var.x, local.y[each.key], random_bytes.z...) with the functions it sits inside
// Used by TerraformTenantsExampleTest through tenancy's Hcl2Json.script; run as: node summarize.js FILE...
'use strict';
const fs = require('fs');
const hcl = require('@cdktf/hcl2json');

function unquote(key) {
  return key.startsWith('"') && key.endsWith('"') ? JSON.parse(key) : key;
}

function walk(node, functions, out, parentFunction) {
  if (!node) return;
  const meta = node.meta || {};
  if (node.type === 'object') {
    for (const key of Object.keys(meta.items || {})) out.objectKeys.push(unquote(key));
  }
  if (node.type === 'scopeTraversal' || node.type === 'index') {
    out.references.push({ accessor: meta.value, within: functions.slice() });
    if (parentFunction === 'jsonencode' || parentFunction === 'merge') out.spreads.push(meta.value);
    if (node.type === 'index') return; // its children are the same reference, split
  }
  const inner = node.type === 'function' ? functions.concat([meta.name]) : functions;
  const direct = node.type === 'function' ? meta.name : (node.type === 'conditional' ? parentFunction : undefined);
  for (const child of node.children || []) walk(child, inner, out, direct);
}

async function summarize(file, text) {
  const json = await hcl.parse(file, text);
  const dataJson = {};
  const resources = ((json.resource || {}).vault_kv_secret_v2) || {};
  for (const [name, blocks] of Object.entries(resources)) {
    const expression = blocks[0].data_json;
    if (typeof expression !== 'string' || !expression.startsWith('${') || !expression.endsWith('}')) {
      dataJson[name] = { error: 'data_json is not one expression: ' + JSON.stringify(expression) };
      continue;
    }
    const ast = await hcl.getExpressionAst(file, expression.slice(2, -1));
    const out = { expression: expression.slice(2, -1), objectKeys: [], spreads: [], references: [] };
    walk(ast, [], out, undefined);
    dataJson[name] = out;
  }
  return { json, dataJson };
}

(async () => {
  const result = {};
  for (const file of process.argv.slice(2)) {
    result[file] = await summarize(file, fs.readFileSync(file, 'utf8'));
  }
  process.stdout.write(JSON.stringify(result));
})().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
