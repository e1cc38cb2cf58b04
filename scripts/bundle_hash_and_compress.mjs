// The last step of scripts/build_site.sh: names the bundle's script,
// WebAssembly and style by their content, as cargo-leptos's `hash-files`
// does, and writes the list Leptos reads to name them in pages; with
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
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
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
const lines = [];
for (const kind of ["js", "wasm", "css"]) {
  const plain = join(pkg, `${args.name}.${kind}`);
  const hash = createHash("md5").update(readFileSync(plain)).digest("base64url");
  renameSync(plain, join(pkg, `${args.name}.${hash}.${kind}`));
  lines.push(`${kind}: ${hash}\n`);
}
mkdirSync(dirname(args["hash-list"]), { recursive: true });
writeFileSync(args["hash-list"], lines.join(""));

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
