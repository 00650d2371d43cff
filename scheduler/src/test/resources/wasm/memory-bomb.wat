;; memory-bomb: grows memory one page at a time, writing to each new page, until memory.grow fails (-1); then
;; executes `unreachable`. Declares no maximum, so only the host's cap stops it.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (local $old i32)
    (loop $grow
      (local.set $old (memory.grow (i32.const 1)))
      (if (i32.eq (local.get $old) (i32.const -1)) (then unreachable))
      ;; touch the new page so a lazy allocator would have to commit it
      (i32.store (i32.mul (local.get $old) (i32.const 65536)) (i32.const 42))
      (br $grow))))
