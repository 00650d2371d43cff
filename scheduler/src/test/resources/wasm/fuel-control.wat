;; fuel-control: pure functions exercising every kind of branch, for comparing results with and without fuel
;; instrumentation. Each export takes one i32 and returns i32 (pair returns two); none imports anything.
(module
  (memory 1)
  (type $two (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $add $sub)
  (func $add (type $two) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $two) (i32.sub (local.get 0) (local.get 1)))

  ;; br_table out of four nested blocks, with a default.
  (func (export "classify") (param $x i32) (result i32)
    (block $d
      (block $c
        (block $b
          (block $a
            (br_table $a $b $c $d (local.get $x)))
          (return (i32.const 10)))
        (return (i32.const 20)))
      (return (i32.const 30)))
    (i32.const 40))

  ;; Loops within loops, br_if out of two levels, if/else inside, early return.
  (func (export "nested") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $acc i32)
    (block $outer_done
      (loop $outer
        (br_if $outer_done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $inner_done
          (loop $inner
            (br_if $inner_done (i32.ge_s (local.get $j) (local.get $i)))
            (if (i32.and (local.get $j) (i32.const 1))
              (then (local.set $acc (i32.add (local.get $acc) (local.get $j))))
              (else (local.set $acc (i32.sub (local.get $acc) (i32.const 1)))))
            (br_if $outer_done (i32.gt_s (local.get $acc) (i32.const 1000)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (if (i32.eq (local.get $acc) (i32.const -7)) (then (return (i32.const 777))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (i32.add (local.get $acc) (i32.mul (local.get $i) (i32.const 1000))))

  ;; Multi-value: a block and a loop with parameters, a function with two results, select.
  (func $divmod (param $a i32) (param $b i32) (result i32 i32)
    (i32.div_u (local.get $a) (local.get $b))
    (i32.rem_u (local.get $a) (local.get $b)))
  (func (export "multi") (param $x i32) (result i32)
    (local $q i32)
    (call $divmod (i32.add (local.get $x) (i32.const 100)) (i32.const 7))
    (block (param i32 i32) (result i32)
      (i32.mul (i32.const 31))
      (i32.add))
    (loop $halve (param i32) (result i32)
      (local.set $q)
      (i32.shr_u (local.get $q) (i32.const 1))
      (br_if $halve (i32.gt_u (local.get $q) (i32.const 50))))
    (select (i32.const 1) (i32.const 2) (i32.and (local.get $x) (i32.const 1)))
    (i32.add))

  ;; Dead code after br and return, value-carrying br, call_indirect picked by the argument.
  (func (export "dead") (param $x i32) (result i32)
    (block $b (result i32)
      (br $b (i32.const 5))
      (drop (i32.const 6))
      (i32.const 7))
    (call_indirect (type $two) (local.get $x) (i32.and (local.get $x) (i32.const 1)))
    (return)
    (drop (i32.const 8))
    (i32.const 9))

  ;; Bulk memory and memory.grow (dynamic costs use a scratch local appended after these locals).
  (func (export "bulk") (param $x i32) (result i32)
    (local $a i32) (local $b i64)
    (local.set $a (i32.add (local.get $x) (i32.const 3)))
    (local.set $b (i64.const 99))
    (memory.fill (i32.const 0) (local.get $x) (i32.and (local.get $x) (i32.const 255)))
    (memory.copy (i32.const 300) (i32.const 0) (i32.const 50))
    (if (i32.eqz (local.get $x)) (then (drop (memory.grow (i32.const 1)))))
    (i32.add (i32.add (i32.load8_u (i32.const 310)) (local.get $a))
             (i32.add (i32.wrap_i64 (local.get $b)) (memory.size))))

  ;; Recursion.
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
