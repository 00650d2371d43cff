// The Node.js peer of PeerRatio: `node node.mjs PORT DIR` serves POST|GET /hello, /echo and /fib on 127.0.0.1:PORT,
// each running DIR/<name>.wasm through wagi.mjs with a fresh instance per request (the module is compiled once, at
// start). Prints "port N" once listening. One process, one event loop: as workerd runs one isolate.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { serve } from "./wagi.mjs";

const port = Number(process.argv[2]);
const dir = process.argv[3];
const modules = new Map(["hello", "echo", "fib"].map((name) =>
  ["/" + name, new WebAssembly.Module(readFileSync(join(dir, name + ".wasm")))]));

createServer((req, res) => {
  const [path, query = ""] = req.url.split(/\?(.*)/s);
  const module = modules.get(path);
  if (!module) {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", async () => {
    const body = new Uint8Array(Buffer.concat(chunks));
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    const answer = await serve(module, { method: req.method, query, headers, contentType: req.headers["content-type"],
      contentLength: body.length }, body, path, "127.0.0.1", port);
    res.writeHead(answer.status, [...answer.headers.flat(), "content-length", String(answer.body.length)]);
    res.end(answer.body);
  });
}).listen(port, "127.0.0.1", () => console.log("port " + port));
