# The workerd peer of PeerRatio (see workerd.mjs): one worker, the three modules compiled once at start, one HTTP
# socket; PeerRatio runs `workerd serve workerd.capnp --socket-addr http=127.0.0.1:PORT` in a directory holding this
# file, the two scripts and hello.wasm, echo.wasm, fib.wasm.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .peer)],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "main")],
);

const peer :Workerd.Worker = (
  modules = [
    (name = "worker", esModule = embed "workerd.mjs"),
    (name = "./wagi.mjs", esModule = embed "wagi.mjs"),
    (name = "./hello.wasm", wasm = embed "hello.wasm"),
    (name = "./echo.wasm", wasm = embed "echo.wasm"),
    (name = "./fib.wasm", wasm = embed "fib.wasm"),
  ],
  compatibilityDate = "2024-09-23",
);
