;; memory-residue-fixed: as memory-residue, without growing, so a worker may hand its memory to the next invocation.
;; Exits 3 unless memory is its 2 initial pages; 1 unless every 8-byte word is 0 except the data segment's "seed" at
;; 104; then writes 0xAB over both pages (what no later invocation may see) and exits 0.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2 4)
  (data (i32.const 104) "seed")
  (func (export "_start")
    (local $a i32)
    (if (i32.ne (memory.size) (i32.const 2)) (then (call $proc_exit (i32.const 3))))
    (block $done
      (loop $scan
        (br_if $done (i32.ge_u (local.get $a) (i32.const 131072)))
        (if (i64.ne (i64.load (local.get $a))
                    (select (i64.const 0x64656573) (i64.const 0) (i32.eq (local.get $a) (i32.const 104))))
          (then (call $proc_exit (i32.const 1))))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (br $scan)))
    (memory.fill (i32.const 0) (i32.const 0xAB) (i32.const 131072))
    (call $proc_exit (i32.const 0))))
