// Rebuild ../static/jsonforms.bundle.js and its license notice, ../static/jsonforms.LICENSES.txt:
// `npm ci && npm run build` (node 18+). Both outputs are committed, so the Python package, CI and
// users never need node.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The bundle's first line names the hash of the source it was built from; a test
// (tests/test_workbench.py) compares it with src/index.jsx, so a source changed without a rebuild
// fails the suite instead of shipping the old bundle.
const source = createHash('sha256').update(readFileSync('src/index.jsx')).digest('hex');

const result = await build({
  entryPoints: ['src/index.jsx'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'eof',
  banner: { js: `// built from src/index.jsx sha256:${source}` },
  metafile: true,
  outfile: '../static/jsonforms.bundle.js',
  logLevel: 'info',
});

// Every npm package whose code is in the bundle, with its version and license text.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (match) packages.add(match[1]);
}
const sections = [...packages].sort().map((name) => {
  const dir = join('node_modules', name);
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `License: ${meta.license}`;
  return `${name} ${meta.version} (${meta.license})\n${'-'.repeat(72)}\n${text}\n`;
});
writeFileSync(
  '../static/jsonforms.LICENSES.txt',
  'jsonforms.bundle.js bundles the following npm packages (built by ../frontend/build.mjs).\n\n' +
    sections.join('\n'),
);
