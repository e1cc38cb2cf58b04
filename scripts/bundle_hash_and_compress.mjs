// The last step of scripts/build_site.sh: names the bundle's scripts,
// WebAssembly modules and style by their content, as cargo-leptos's
// `hash-files` does, and writes the list Leptos reads to name them in
// pages (and, for a split bundle, the manifest of each page's modules); with
// --precompress, writes a gzip and a brotli sibling of every file in the
// site, which the server sends to browsers that accept them.
//
//   node scripts/bundle_hash_and_compress.mjs --site target/site --pkg pkg \
//     --name tidings --hash-list target/release/hash.txt [--precompress]
//
// A hash is the MD5 of the file in unpadded URL-safe base64 (22
// characters): the form cargo-leptos writes and the server's cache rules
// (server/src/ops/cache_control.rs) recognize as immutable.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const { values: args } = parseArgs({
  options: {
    site: { type: "string" },
    pkg: { type: "string" },
    name: { type: "string" },
    "hash-list": { type: "string" },
    precompress: { type: "boolean", default: false },
  },
});
for (const required of ["site", "pkg", "name", "hash-list"]) {
  if (!args[required]) {
    console.error(`bundle_hash_and_compress: --${required} is required`);
    process.exit(2);
  }
}

const pkg = join(args.site, args.pkg);
const hashOf = (body) => createHash("md5").update(body).digest("base64url");
const hashed = (file, hash) => file.replace(/(\.[a-z]+)$/, `.${hash}$1`);
const lines = [];
for (const kind of ["wasm", "css"]) {
  const plain = `${args.name}.${kind}`;
  const hash = hashOf(readFileSync(join(pkg, plain)));
  renameSync(join(pkg, plain), join(pkg, hashed(plain, hash)));
  lines.push(`${kind}: ${hash}\n`);
}

// A split bundle (scripts/build_site.sh): the pages' modules and the
// chunks they share, the loader that fetches them (`__wasm_split.js`),
// and the main script, which imports the loader, which imports the main
// script back. The modules are named by their content; the two scripts,
// whose contents name each other, by one hash of both and every module's,
// so a change to any of them renames both.
const loader = "__wasm_split.js";
const split = existsSync(join(pkg, loader));
const modules = new Map();
if (split) {
  for (const file of readdirSync(pkg).filter((f) => f.endsWith(".wasm") && !f.startsWith(`${args.name}.`))) {
    const name = hashed(file, hashOf(readFileSync(join(pkg, file))));
    renameSync(join(pkg, file), join(pkg, name));
    modules.set(file, name);
  }
}
const main = `${args.name}.js`;
let mainJs = readFileSync(join(pkg, main), "utf8");
let loaderJs = split ? readFileSync(join(pkg, loader), "utf8") : "";
const scriptsHash = hashOf([mainJs, loaderJs, ...[...modules.values()].sort()].join("\0"));
lines.unshift(`js: ${scriptsHash}\n`);
if (split) {
  const manifest = pagesModules(loaderJs);
  mainJs = mainJs.replace(/(from\s*)(["'])\.\/__wasm_split\.js\2/g, `$1$2./${hashed(loader, scriptsHash)}$2`);
  loaderJs = loaderJs
    .replace(/(from\s*)(["'])\.\/([\w-]+)\.js\2/g, (_, from, q, stem) => `${from}${q}./${hashed(`${stem}.js`, scriptsHash)}${q}`)
    .replace(/"\.\/([\w-]+\.wasm)"/g, (_, file) => `"./${modules.get(file) ?? file}"`);
  writeFileSync(join(pkg, hashed(loader, scriptsHash)), loaderJs);
  rmSync(join(pkg, loader));
  for (const stems of Object.values(manifest)) {
    stems.forEach((stem, i) => (stems[i] = modules.get(`${stem}.wasm`).replace(/\.wasm$/, "")));
  }
  const manifestJson = JSON.stringify(manifest, null, 2);
  const manifestHash = hashOf(manifestJson);
  writeFileSync(join(pkg, `__wasm_split_manifest.${manifestHash}.json`), manifestJson);
  lines.push(`split: ${scriptsHash}\n`, `manifest: ${manifestHash}\n`);
}
writeFileSync(join(pkg, hashed(main, scriptsHash)), mainJs);
rmSync(join(pkg, main));
mkdirSync(dirname(args["hash-list"]), { recursive: true });
writeFileSync(args["hash-list"], lines.join(""));

// What Leptos's manifest holds (cargo-leptos writes it when it splits):
// for each page's split, the modules a page rendered with it needs, which
// the server names in the page's preload links. The loader lists them:
// `export const __wasm_split_load_<split> = …("./<module>.wasm"…), [__<chunk>, …]`.
function pagesModules(js) {
  const manifest = {};
  const page = /export const __wasm_split_load_(\w+) = [\s\S]*?"\.\/([\w-]+)\.wasm"[\s\S]*?, \[([^\]]*)\]\)\);/g;
  for (const [, splitName, module, chunks] of js.matchAll(page)) {
    const shared = chunks.split(",").map((c) => c.trim().replace(/^__/, "")).filter(Boolean);
    manifest[splitName] = [...shared, module];
  }
  return manifest;
}

if (args.precompress) {
  for (const file of filesUnder(args.site)) {
    if (file.endsWith(".gz") || file.endsWith(".br")) continue;
    const body = readFileSync(file);
    writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
    writeFileSync(
      `${file}.br`,
      brotliCompressSync(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      }),
    );
  }
}

function* filesUnder(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}
