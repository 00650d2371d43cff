;; table-grow-bomb: grows its table by 10 000 elements until table.grow fails (-1), then exits with the table's
;; size in thousands (proc_exit). Declares no maximum, so only the host's cap stops it; a second run must start
;; from the declared size again (one element) and end at the same size.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (table $t 1 funcref)
  (func (export "_start")
    (loop $grow
      (br_if $grow (i32.ne (table.grow $t (ref.null func) (i32.const 10000)) (i32.const -1))))
    (call $proc_exit (i32.div_u (table.size $t) (i32.const 1000)))))
