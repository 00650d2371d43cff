;; fuel-loop: "count" counts from 0 to its argument n in a loop and returns n. Fuel of count(n): 9n + 5.
;;   loop header block: local.get, local.get, i32.ge_u, br_if            = 4 (n + 1 times)
;;   loop body block:   local.get, i32.const, i32.add, local.set, br     = 5 (n times)
;;   after the block:   local.get                                        = 1
;; _start calls count(10): i32.const, call (5), drop = 7, plus count(10) = 95. Fuel of _start: 102.
(module
  (func $count (export "count") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $i))
  (func (export "_start")
    (drop (call $count (i32.const 10)))))
