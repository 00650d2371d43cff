;; unknown-wasi: imports wasi_snapshot_preview1.not_a_function, which WASI preview 1 does not define.
(module
  (import "wasi_snapshot_preview1" "not_a_function" (func $nope))
  (func (export "_start") (call $nope)))
