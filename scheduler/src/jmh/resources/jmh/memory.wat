;; memory: run(n) writes i*3 into n consecutive i32 slots of linear memory (4 pages: n <= 65536), then sums them
;; back and returns the sum (an i64). Memory-heavy: one store per iteration, then one load per iteration.
(module
  (memory (export "memory") 4)
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $sum i64)
    (block $written
      (loop $write
        (br_if $written (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.mul (local.get $i) (i32.const 3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $write)))
    (local.set $i (i32.const 0))
    (block $read
      (loop $sum
        (br_if $read (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i64.add (local.get $sum)
                                 (i64.extend_i32_u (i32.load (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sum)))
    (local.get $sum)))
