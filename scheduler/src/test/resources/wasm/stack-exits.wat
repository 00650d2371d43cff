;; stack-exits: every way out of a function that charges its frame to the stack budget. The test imports
;; test.probe, which records the budget (the exported sluice_stack) each time it is called. $run probes before and
;; after each call, so balanced accounting shows as equal pairs; each callee probes where it can go on after a
;; branch that did not leave, so a frame given back and not charged again shows as a higher value there. Each
;; function but $leaf declares 64 i64 locals, so that its frame is large enough to be charged.
(module
  (import "test" "probe" (func $probe))
  (type $i_i (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $by_return)
  ;; Calls nothing, so it is not charged.
  (func $leaf (param i32) (result i32) (local.get 0))
  (func $by_return (param i32) (result i32) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (drop (call $leaf (local.get 0)))
    (return (local.get 0)))
  (func $by_br (param i32) (result i32) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (call $probe)
    (br 0 (local.get 0)))
  (func $by_br_if (param i32) (result i32) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (call $probe)
    (drop (br_if 0 (local.get 0) (local.get 0)))
    (call $probe)
    (i32.const 42))
  ;; 0: the inner block, which goes on; 1 and past the end: the outer block, which goes on; 2: leaves.
  (func $by_br_table (param i32) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (block $outer
      (block $inner
        (call $probe)
        (br_table $inner $outer 2 $outer (local.get 0)))
      (call $probe))
    (call $probe))
  (func $by_tail_call (param i32) (result i32) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (call $probe)
    (return_call $by_return (local.get 0)))
  (func $by_end (param i32) (result i32) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (call $leaf (local.get 0)))
  (func (export "run") (param $x i32) (result i32) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (call $probe) (drop (call $by_return (local.get $x)))
    (call $probe) (drop (call $by_br (local.get $x)))
    (call $probe) (drop (call $by_br_if (local.get $x)))
    (call $probe) (call $by_br_table (local.get $x))
    (call $probe) (drop (call $by_tail_call (local.get $x)))
    (call $probe) (drop (call $by_end (local.get $x)))
    (call $probe) (drop (call_indirect (type $i_i) (local.get $x) (i32.const 0)))
    (call $probe)
    (local.get $x)))
