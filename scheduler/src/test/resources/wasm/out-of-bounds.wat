;; out-of-bounds: loads from address 1 MiB in a one-page (64 KiB) memory, which traps.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (i32.load (i32.const 1048576)))))
