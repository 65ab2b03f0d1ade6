// Imports the npm package that wasm_package() wrote (its directory is the
// argument) and calls one export of each module through its loader:
//   node check-package.mjs <build>/wasm_module.npm
import { pathToFileURL } from 'node:url';

const { imgproc, hasher } = await import(pathToFileURL(`${process.argv[2]}/index.js`));

const h = await hasher();
const text = new TextEncoder().encode('foobar');
const ptr = h.alloc(text.length);
new Uint8Array(h.memory.buffer, ptr, text.length).set(text);
const hash = h.fnv1a(ptr, text.length) >>> 0;
h.dealloc(ptr, text.length);

const im = await imgproc();
const src = im.malloc(64), dst = im.malloc(64);
new Uint8Array(im.memory.buffer, src, 64).fill(77);
im.blur(src, dst, 8, 8);
const out = new Uint8Array(im.memory.buffer, dst, 64);
const uniform = out.every((v) => v === 77) ? 'uniform 77' : `not uniform: ${out.join(',')}`;
im.free(src);
im.free(dst);
console.log(`fnv1a("foobar")=0x${hash.toString(16)} blur(uniform 77)=${uniform}`);
