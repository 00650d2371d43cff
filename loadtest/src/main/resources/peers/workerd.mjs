// The workerd peer of PeerRatio: serves /hello, /echo and /fib, each running the module of that name (bound in
// workerd.capnp, so workerd compiles it once) through wagi.mjs with a fresh instance per request.
import { serve } from "./wagi.mjs";
import hello from "./hello.wasm";
import echo from "./echo.wasm";
import fib from "./fib.wasm";

const modules = new Map([["/hello", hello], ["/echo", echo], ["/fib", fib]]);

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const module = modules.get(url.pathname);
    if (!module) return new Response(null, { status: 404 });
    const body = new Uint8Array(await request.arrayBuffer());
    const answer = await serve(module, { method: request.method, query: url.search.substring(1),
      headers: [...request.headers], contentType: request.headers.get("content-type"), contentLength: body.length },
      body, url.pathname, url.hostname, url.port);
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  },
};
