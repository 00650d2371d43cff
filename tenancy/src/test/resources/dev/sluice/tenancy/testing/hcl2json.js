// Parses Terraform files with @cdktf/hcl2json (HashiCorp's HCL parser compiled to WebAssembly) and prints one JSON
// object: "files" maps each file to the JSON hcl2json makes of it (blocks as arrays of objects, literal values as JSON,
// every other expression as "${...}" text, templates as their text), or to {"error": ...}; "expressions" maps each
// such text to the syntax tree of the expression it stands for, as HCL parses it:
//   "${expr}"      the tree of expr itself (its value keeps its type: a number, a list, an object)
//   other text     the tree of the template (interpolations, %{if}), parsed as a heredoc; "trim" says the heredoc's
//                  final newline was added here and is not part of the value
// Used by dev.sluice.tenancy.testing.Hcl2Json; run as: node hcl2json.js FILE...
'use strict';
const fs = require('fs');
const hcl = require('@cdktf/hcl2json');

function strings(value, out) {
  if (typeof value === 'string') {
    if (value.includes('${') || value.includes('%{')) out.add(value);
  } else if (Array.isArray(value)) {
    value.forEach((v) => strings(v, out));
  } else if (value && typeof value === 'object') {
    Object.values(value).forEach((v) => strings(v, out));
  }
}

async function tree(file, text) {
  if (text.startsWith('${') && text.endsWith('}')) {
    const inner = text.slice(2, -1);
    try {
      return { source: inner, trim: false, ast: await hcl.getExpressionAst(file, inner) };
    } catch (e) {
      // "${a}-${b}": a template, not one expression
    }
  }
  let marker = 'EOT';
  while (text.includes(marker)) marker += 'X';
  const source = '<<' + marker + '\n' + text + '\n' + marker + '\n';
  return { source, trim: true, ast: await hcl.getExpressionAst(file, source) };
}

(async () => {
  const files = {};
  const texts = new Set();
  for (const file of process.argv.slice(2)) {
    try {
      files[file] = { json: await hcl.parse(file, fs.readFileSync(file, 'utf8')) };
      strings(files[file].json, texts);
    } catch (e) {
      files[file] = { error: String(e && e.message || e) };
    }
  }
  const expressions = {};
  for (const text of texts) {
    try {
      expressions[text] = await tree('expression', text);
    } catch (e) {
      expressions[text] = { error: String(e && e.message || e) };
    }
  }
  process.stdout.write(JSON.stringify({ files, expressions }));
})().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
