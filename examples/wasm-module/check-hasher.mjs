// Calls the hasher module's exports from Node.js: copies strings into its
// linear memory with alloc(), hashes them with fnv1a(), frees them.
//   node check-hasher.mjs <hasher.wasm>
import { readFileSync } from 'node:fs';

const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), {});
const { alloc, dealloc, fnv1a, memory } = instance.exports;
const results = [];
for (const text of ['', 'a', 'foobar']) {
  const bytes = new TextEncoder().encode(text);
  const ptr = bytes.length ? alloc(bytes.length) : 0;
  if (bytes.length) new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
  results.push(`${JSON.stringify(text)}=0x${(fnv1a(ptr, bytes.length) >>> 0).toString(16)}`);
  if (bytes.length) dealloc(ptr, bytes.length);
}
console.log(results.join(' '));
