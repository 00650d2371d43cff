;; fuel-cached: functions with loops, which keep the counter in a local: calls inside the loop, ways out of the
;; function from inside it (br_if and br_table to the function's label), dynamic costs inside it, and a trap after it.
;;   $one: local.get, i32.const, i32.add                                         = 3 per call
;;   calls_in_loop(n), n >= 1: loop header block (local.get, call (5), local.set, local.get x 3, i32.ge_u, br_if)
;;     = 12 per iteration, plus $one's 3, plus drop, br = 2 on the iterations that go on: 15n + 2(n - 1) = 17n - 2
;;   table_in_loop(n): loop header block (local.get, i32.const, i32.add, local.set, local.get x 2, i32.lt_u, br_if)
;;     = 8 per iteration (max(n, 1) iterations), then local.get x 2, i32.const, i32.and, br_table = 5; when the
;;     last i is even the br_table leaves to $b and i32.const, i32.add = 2 follow: 8n + 7 (n even), 8n + 5 (n odd)
;;   fill_in_loop(n): loop header block (local.get x 2, i32.ge_u, br_if) = 4, n + 1 times; body (local.get,
;;     i32.const, local.get, memory.fill (1 + i bytes), local.get, i32.const, i32.add, local.set, br) = 9 + i for
;;     i = 0 .. n-1: 4(n + 1) + 9n + n(n - 1)/2 = 13n + 4 + n(n - 1)/2
;;   trap_after_loop(n): loop header block 4 (n + 1 times), body 5 (n times), then local.get, i32.const, i32.div_u
;;     = 3 and a division by zero: 9n + 7 used, of which what was stored to the global before the trap is reported
(module
  (memory 1)
  (func $one (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))

  (func (export "calls_in_loop") (param $n i32) (result i32)
    (local $i i32)
    (loop $next
      (local.set $i (call $one (local.get $i)))
      (br_if 1 (local.get $i) (i32.ge_u (local.get $i) (local.get $n)))
      (drop)
      (br $next))
    (i32.const -1))

  (func (export "table_in_loop") (param $n i32) (result i32)
    (local $i i32)
    (block $b (result i32)
      (loop $next
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $i) (local.get $n)))
        (local.get $i)
        (br_table 1 2 (i32.and (local.get $i) (i32.const 1))))
      (unreachable))
    (i32.const 100)
    (i32.add))

  (func (export "fill_in_loop") (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (memory.fill (local.get $i) (i32.const 7) (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  (func (export "trap_after_loop") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.div_u (local.get $i) (i32.const 0))))
