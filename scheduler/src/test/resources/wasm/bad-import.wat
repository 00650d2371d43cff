;; bad-import: imports env.danger, which is outside WASI preview 1; must be rejected at deploy.
(module
  (import "env" "danger" (func $danger (param i32) (result i32)))
  (func (export "_start")
    (drop (call $danger (i32.const 0)))))
